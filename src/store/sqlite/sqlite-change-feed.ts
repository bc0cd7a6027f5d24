// The contact change feed: what changed in an account after a point of its change log. The
// rows are written by triggers (migration 2) and, for new contacts, by the writer (migration 5);
// this file only reads and prunes them.
import type { ContactChanges } from '../store.ts';
import type { Db, StatementCache } from './database.ts';

/** Per account: the newest change pruned. A reader that last saw an older one missed something. */
const floorKey = (accountId: string) => `change_log_floor:${accountId}`;
/** Per account: the newest revision pruned (read by the revision feed in sqlite-async-store.ts). */
export const revisionFloorKey = (accountId: string) => `change_revision_floor:${accountId}`;

export class SqliteChangeFeed {
  constructor(private readonly db: Db, private readonly stmts: StatementCache) {}

  point(accountId: string): number {
    const row = this.stmts.get('SELECT max(id) AS id FROM change_log WHERE account_id = ?').get(accountId) as { id: number | null };
    // Once pruning removed every row of the account, the newest point is the pruned one.
    return Math.max(row.id ?? 0, this.floor(accountId));
  }

  since(accountId: string, after: number): ContactChanges | null {
    return this.db.transaction(() => {
      if (after < this.floor(accountId)) return null;
      const rows = this.stmts.get('SELECT id, contact_id AS contactId, deleted FROM change_log WHERE account_id = ? AND id > ? ORDER BY id')
        .all(accountId, after) as { id: number; contactId: string | null; deleted: number }[];
      let upTo = after;
      const last = new Map<string, boolean>(); // contact id -> deleted as of its latest row
      for (const r of rows) {
        upTo = r.id;
        if (r.contactId === null) return null; // every entry changed (settings): start over
        last.delete(r.contactId); // keep map order = order of latest change
        last.set(r.contactId, r.deleted === 1);
      }
      // A cascade can log a membership change after a contact's deletion: existence decides.
      const exists = this.stmts.get('SELECT 1 FROM contacts WHERE id = ? AND account_id = ?');
      const changed: string[] = [];
      const deleted: string[] = [];
      for (const id of last.keys()) (exists.get(id, accountId) ? changed : deleted).push(id);
      return { upTo, changed, deleted };
    })();
  }

  count(accountId: string, after: number): number | null {
    if (after < this.floor(accountId)) return null;
    const row = this.stmts.get('SELECT count(*) AS n, count(*) - count(contact_id) AS everything FROM change_log WHERE account_id = ? AND id > ?')
      .get(accountId, after) as { n: number; everything: number };
    return row.everything > 0 ? null : row.n;
  }

  /** Drops rows older than the cut-off; readers that last saw a dropped row must start over. */
  prune(olderThanEpochSeconds: number): number {
    return this.db.transaction(() => {
      const top = this.stmts.get('SELECT max(id) AS id FROM change_log WHERE at < ?').get(olderThanEpochSeconds) as { id: number | null };
      if (top.id === null) return 0;
      // per account: the newest id pruned, and the newest revision pruned (the feed by revision,
      // migration 8; rows not tagged yet belong to a transaction still open, none here)
      const floors = this.stmts.get('SELECT account_id AS accountId, max(id) AS id, max(revision) AS revision FROM change_log WHERE id <= ? GROUP BY account_id')
        .all(top.id) as { accountId: string; id: number; revision: number | null }[];
      const setFloor = this.stmts.get('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)');
      for (const f of floors) {
        setFloor.run(floorKey(f.accountId), f.id);
        if (f.revision !== null) setFloor.run(revisionFloorKey(f.accountId), f.revision);
      }
      // per book (migration 12): a book untouched by the pruned rows keeps its tokens valid
      this.stmts.get(`INSERT INTO change_book_floor (account_id, book, revision)
        SELECT account_id, coalesce(book, '*'), max(revision) FROM change_log WHERE id <= ? AND revision IS NOT NULL GROUP BY account_id, coalesce(book, '*')
        ON CONFLICT (account_id, book) DO UPDATE SET revision = max(revision, excluded.revision)`).run(top.id);
      const { changes } = this.stmts.get('DELETE FROM change_log WHERE id <= ?').run(top.id);
      return changes;
    })();
  }

  private floor(accountId: string): number {
    const row = this.stmts.get('SELECT value FROM store_meta WHERE key = ?').get(floorKey(accountId)) as { value: number } | undefined;
    return row?.value ?? 0;
  }
}
