// Paged contact queries on PostgreSQL (the admin API's lists): a Criterion, a visibility, a sort,
// and offset or keyset paging, with the same answers as sqlite/sqlite-contact-reader.ts. Two
// steps, as there: pick the page's ids (and sort keys) first, then read full contacts for that page
// only. Ties break on seq (SQLite's rowid: the insertion order, in every index). Cursors have the
// same shape as SQLite's: base64url JSON of [sort, key values..., seq].
import type pg from 'pg';
import type { Contact, ContactSort } from '../../domain/contact-schemas.ts';
import { decodeAfter, encodeAfter } from '../contact-cursor.ts';
import type { ContactPage, ContactQuery, ContactRef, Criterion } from '../store.ts';
import { criterionSql, Params, visibilitySql } from './pg-criterion.ts';
import { publicContact, selectContacts } from './pg-rows.ts';

// updated_at is plain text (the database's collation): COLLATE "C" orders it bytewise, as SQLite does.
const UPDATED = 'c.updated_at COLLATE "C"';

/** The key columns of each sort, in order, and whether it descends (keyset paging compares them). */
const KEYS: Record<ContactSort, { cols: string[]; desc: boolean }> = {
  name: { cols: ['c.sort_key'], desc: false },
  '-name': { cols: ['c.sort_key'], desc: true },
  lastName: { cols: ['c.last_f', 'c.first_f'], desc: false },
  '-lastName': { cols: ['c.last_f', 'c.first_f'], desc: true },
  firstName: { cols: ['c.first_f', 'c.last_f'], desc: false },
  '-firstName': { cols: ['c.first_f', 'c.last_f'], desc: true },
  company: { cols: ['c.company_f', 'c.sort_key'], desc: false },
  '-company': { cols: ['c.company_f', 'c.sort_key'], desc: true },
  updatedAt: { cols: [UPDATED], desc: false },
  '-updatedAt': { cols: [UPDATED], desc: true },
};

const orderBy = (sort: ContactSort): string => {
  const k = KEYS[sort];
  return [...k.cols, 'c.seq'].map((col) => (k.desc ? `${col} DESC` : col)).join(', ');
};

type PageRow = { id: string; revision: number; seq: string } & Record<string, unknown>;

export class PgContactQuery {
  constructor(private readonly pool: pg.Pool) {}

  async query(accountId: string, q: ContactQuery): Promise<ContactPage> {
    const sort = q.sort ?? 'name';
    const { rows, filter } = await this.page(accountId, q);
    let total: number | null = null;
    if (q.withTotal) {
      const counted = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM contacts c WHERE ${filter.sql}`, filter.params);
      total = Number(counted.rows[0].n);
    }
    const last = rows[rows.length - 1];
    const nextAfter = last && rows.length === (q.limit ?? 50)
      ? encodeAfter(sort, [...KEYS[sort].cols.map((_, i) => last[`k${i}`]), Number(last.seq)]) : null;
    return { contacts: await this.contactsInOrder(rows.map((r) => r.id)), total, nextAfter };
  }

  async refs(accountId: string, q: ContactQuery): Promise<ContactRef[]> {
    return (await this.page(accountId, q)).rows.map((r) => ({ id: r.id, revision: r.revision }));
  }

  /** The page's ids with their revisions and sort keys, and the filter alone (for the total). */
  private async page(accountId: string, q: ContactQuery): Promise<{ rows: PageRow[]; filter: { sql: string; params: unknown[] } }> {
    const sort = q.sort ?? 'name';
    const region = await this.regionOf(accountId, q);
    const p = new Params();
    const filterSql = `c.account_id = ${p.add(accountId)} AND ${visibilitySql(q.visibility, p)} AND ${criterionSql(q.where ?? { all: true }, accountId, region, p)}`;
    const filter = { sql: filterSql, params: [...p.values] };
    let keyset = '';
    if (q.after !== undefined) {
      // rows after the cursor's (keys..., seq) in sort order: one row comparison, a range of the sort index
      const k = KEYS[sort];
      const values = decodeAfter(sort, q.after, KEYS[sort].cols.length);
      const placeholders = values.map((v, i) => (i < k.cols.length ? p.add(v) : `${p.add(v)}::bigint`));
      keyset = ` AND (${k.cols.join(', ')}, c.seq) ${k.desc ? '<' : '>'} (${placeholders.join(', ')})`;
    }
    const keyCols = KEYS[sort].cols.map((col, i) => `${col} AS k${i}`).join(', ');
    const limit = p.add(q.limit ?? 50);
    const offset = p.add(q.after !== undefined ? 0 : q.offset ?? 0);
    const { rows } = await this.pool.query<PageRow>(
      `SELECT c.id, c.revision, c.seq, ${keyCols} FROM contacts c WHERE ${filterSql}${keyset} ORDER BY ${orderBy(sort)} LIMIT ${limit} OFFSET ${offset}`, p.values);
    return { rows, filter };
  }

  /** Numbers are matched in the account's region; only read when the query has a number to match. */
  private async regionOf(accountId: string, q: ContactQuery): Promise<string> {
    if (!q.where || !matchesNumbers(q.where)) return '';
    const { rows } = await this.pool.query<{ region: string }>('SELECT region FROM accounts WHERE id = $1', [accountId]);
    return rows[0]?.region ?? '';
  }

  private async contactsInOrder(ids: string[]): Promise<Contact[]> {
    if (ids.length === 0) return [];
    const found = await selectContacts(this.pool, 'c.id = ANY($1)', [ids], 'c.seq');
    const byId = new Map(found.map((c) => [c.id, publicContact(c)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
}

function matchesNumbers(c: Criterion): boolean {
  if ('and' in c) return c.and.some(matchesNumbers);
  if ('or' in c) return c.or.some(matchesNumbers);
  if ('not' in c) return matchesNumbers(c.not);
  return 'number' in c;
}
