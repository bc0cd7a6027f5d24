// The PostgreSQL change feed, keyed by (account, revision): reading what changed after a revision
// in one snapshot, pruning with a per-account floor, and watching for hints (LISTEN on a
// connection of its own, pg-listener.ts). The rows are written by PgStore.accountTx, one per
// write transaction under the revision it took first.
import type pg from 'pg';
import { MAX_FEED_CHANGES, type AsyncChangeFeed, type BookChanges, type ChangeWatch, type RevisionChanges } from '../async-store.ts';
import { EVERY_BOOK, type FeedBook } from '../feed-books.ts';
import { listen } from './pg-listener.ts';
import type { PostgresOptions } from './pg-writes.ts';

export class PgChangeFeed {
  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: PostgresOptions,
    private readonly tx: <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  async changesSince(accountId: string, after: number, maxChanges = MAX_FEED_CHANGES): Promise<RevisionChanges | null> {
    const c = await this.pool.connect();
    try {
      // One snapshot: the account's revision and the change rows up to it are one state.
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const acct = await c.query<{ revision: string }>('SELECT revision FROM accounts WHERE id = $1', [accountId]);
      if (acct.rows.length === 0) return null;
      const floor = await c.query<{ revision: string }>('SELECT revision FROM change_floor WHERE account_id = $1', [accountId]);
      if (floor.rows[0] && after < Number(floor.rows[0].revision)) return null;
      // counted in the database first (and "everything" found there): the arrays are parsed here
      // only when they are few, and the rows below, of the same snapshot, list contacts only
      const size = await c.query<{ n: string; everything: boolean }>(`SELECT coalesce(sum(cardinality(changed) + cardinality(deleted)), 0) AS n,
        coalesce(bool_or(everything), false) AS everything FROM change_log WHERE account_id = $1 AND revision > $2`, [accountId, after]);
      if (size.rows[0].everything || Number(size.rows[0].n) > maxChanges) return null;
      const { rows } = await c.query<{ changed: string[]; deleted: string[] }>(
        'SELECT changed, deleted FROM change_log WHERE account_id = $1 AND revision > $2 ORDER BY revision', [accountId, after]);
      const last = new Map<string, boolean>();
      for (const r of rows) {
        for (const id of r.changed) { last.delete(id); last.set(id, false); }
        for (const id of r.deleted) { last.delete(id); last.set(id, true); }
      }
      const ids = [...last.keys()];
      const existing = new Set(ids.length === 0 ? [] : (await c.query<{ id: string }>('SELECT id FROM contacts WHERE account_id = $1 AND id = ANY($2)', [accountId, ids])).rows.map((r) => r.id));
      const changed: string[] = [];
      const deleted: string[] = [];
      for (const id of ids) (existing.has(id) ? changed : deleted).push(id);
      return { upTo: Math.max(after, Number(acct.rows[0].revision)), changed, deleted };
    } finally {
      await c.query('COMMIT').catch(() => {});
      c.release();
    }
  }

  /** One book's changes (AsyncChangeFeed.bookChangesSince) in one snapshot. */
  async bookChangesSince(accountId: string, book: FeedBook, after: number | null): Promise<BookChanges | null> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const acct = await c.query<{ revision: string }>('SELECT revision FROM accounts WHERE id = $1', [accountId]);
      if (acct.rows.length === 0) return null;
      const accountRevision = Number(acct.rows[0].revision);
      if (after !== null && after > accountRevision) return null;
      const floor = Number((await c.query<{ r: string | null }>('SELECT max(revision) AS r FROM change_book_floor WHERE account_id = $1 AND book = ANY($2)',
        [accountId, [book, EVERY_BOOK]])).rows[0].r ?? 0);
      // Newest first along the primary key, stopping at the first row of the book (or of every book).
      const top = Number((await c.query<{ r: string | null }>('SELECT max(revision) AS r FROM change_log WHERE account_id = $1 AND (books IS NULL OR $2 = ANY(books))',
        [accountId, book])).rows[0].r ?? 0);
      const out: BookChanges = { revision: Math.max(floor, top), accountRevision, all: false, changed: [], deleted: [] };
      if (after === null) return out;
      if (after < floor) return null;
      const { rows } = await c.query<{ changed: string[]; deleted: string[]; everything: boolean }>(
        'SELECT changed, deleted, everything FROM change_log WHERE account_id = $1 AND revision > $2 AND (books IS NULL OR $3 = ANY(books)) ORDER BY revision',
        [accountId, after, book]);
      const last = new Map<string, boolean>();
      for (const r of rows) {
        if (r.everything) out.all = true;
        for (const id of r.changed) { last.delete(id); last.set(id, false); }
        for (const id of r.deleted) { last.delete(id); last.set(id, true); }
      }
      const ids = [...last.keys()];
      const existing = new Set(ids.length === 0 ? [] : (await c.query<{ id: string }>('SELECT id FROM contacts WHERE account_id = $1 AND id = ANY($2)', [accountId, ids])).rows.map((r) => r.id));
      for (const id of ids) (existing.has(id) ? out.changed : out.deleted).push(id);
      return out;
    } finally {
      await c.query('COMMIT').catch(() => {});
      c.release();
    }
  }

  async changeCount(accountId: string, after: number): Promise<number | null> {
    const changes = await this.changesSince(accountId, after);
    return changes === null ? null : changes.changed.length + changes.deleted.length;
  }

  async pruneChangeLog(olderThanEpochSeconds: number): Promise<number> {
    return this.tx(async (c) => {
      await c.query(`INSERT INTO change_floor (account_id, revision)
        SELECT account_id, max(revision) FROM change_log WHERE at < $1 GROUP BY account_id
        ON CONFLICT (account_id) DO UPDATE SET revision = greatest(change_floor.revision, excluded.revision)`, [olderThanEpochSeconds]);
      // per book: a book the pruned rows did not touch keeps its tokens valid
      await c.query(`INSERT INTO change_book_floor (account_id, book, revision)
        SELECT account_id, b, max(revision) FROM change_log, unnest(coalesce(books, ARRAY['*'])) AS b WHERE at < $1 GROUP BY account_id, b
        ON CONFLICT (account_id, book) DO UPDATE SET revision = greatest(change_book_floor.revision, excluded.revision)`, [olderThanEpochSeconds]);
      const { rowCount } = await c.query('DELETE FROM change_log WHERE at < $1', [olderThanEpochSeconds]);
      return rowCount ?? 0;
    });
  }

  watchChanges(onHint: Parameters<AsyncChangeFeed['watchChanges']>[0]): Promise<ChangeWatch> {
    return listen({ connectionString: this.opts.url }, onHint, { keepaliveMs: 10_000, ...this.opts });
  }
}
