// Reading contacts: paged queries from the Criterion AST, single lookups, whole lists.
import type { Contact, ContactSort } from '../../domain/contact-schemas.ts';
import { NotFoundError } from '../../errors.ts';
import { decodeAfter, encodeAfter } from '../contact-cursor.ts';
import type { ContactPage, ContactQuery, ContactRef, Visibility, WriteScope } from '../store.ts';
import { criterionSql, visibilitySql } from './criterion-sql.ts';
import { StatementCache } from './database.ts';
import { CONTACT_COLUMNS, contactsFromRows, type ContactRow, type GroupLinkRow, type NumberRow } from './row-mapping.ts';

// Ties break on rowid: stable, and present in every index.
/** The columns of each sort, in order, and whether it descends (keyset paging compares them). */
const KEYS: Record<ContactSort, { cols: string[]; desc: boolean }> = {
  name: { cols: ['c.sort_key'], desc: false },
  '-name': { cols: ['c.sort_key'], desc: true },
  lastName: { cols: ['c.last_f', 'c.first_f'], desc: false },
  '-lastName': { cols: ['c.last_f', 'c.first_f'], desc: true },
  firstName: { cols: ['c.first_f', 'c.last_f'], desc: false },
  '-firstName': { cols: ['c.first_f', 'c.last_f'], desc: true },
  company: { cols: ['c.company_f', 'c.sort_key'], desc: false },
  '-company': { cols: ['c.company_f', 'c.sort_key'], desc: true },
  updatedAt: { cols: ['c.updated_at'], desc: false },
  '-updatedAt': { cols: ['c.updated_at'], desc: true },
};

const ORDER: Record<ContactSort, string> = {
  name: 'c.sort_key, c.rowid',
  '-name': 'c.sort_key DESC, c.rowid DESC',
  lastName: 'c.last_f, c.first_f, c.rowid',
  '-lastName': 'c.last_f DESC, c.first_f DESC, c.rowid DESC',
  firstName: 'c.first_f, c.last_f, c.rowid',
  '-firstName': 'c.first_f DESC, c.last_f DESC, c.rowid DESC',
  company: 'c.company_f, c.sort_key, c.rowid',
  '-company': 'c.company_f DESC, c.sort_key DESC, c.rowid DESC',
  updatedAt: 'c.updated_at, c.rowid',
  '-updatedAt': 'c.updated_at DESC, c.rowid DESC',
};

/**
 * With a search criterion, matches are few: find them through the criterion's index and sort
 * them ("+" stops SQLite from walking the whole sort index instead, which it may prefer when it
 * misjudges how many rows match: 70 ms instead of 0.4 ms on 100k contacts). Without one, walk the
 * sort index.
 */
function orderFor(sort: ContactSort, filtered: boolean): string {
  return filtered ? '+' + ORDER[sort] : ORDER[sort];
}

export class SqliteContactReader {
  constructor(private readonly stmts: StatementCache, private readonly regionOf: (accountId: string) => string) {}

  query(accountId: string, q: ContactQuery): ContactPage {
    const page = this.page(accountId, q);
    // Two steps: pick the page by rowid first, then build full rows for that page only (SQLite
    // would otherwise compute every output column for every match before sorting).
    const sort = q.sort ?? 'name';
    const keyCols = KEYS[sort].cols.map((col, i) => `${col} AS k${i}`).join(', ');
    const sql = `SELECT ${CONTACT_COLUMNS}, ${keyCols}, c.rowid AS krid FROM (${page.sql}) page JOIN contacts c ON c.rowid = page.rid ORDER BY ${ORDER[sort]}`;
    const rows = this.stmts.get(sql).all(...page.params) as (ContactRow & Record<string, unknown>)[];
    let total: number | null = null;
    if (q.withTotal) {
      total = (this.stmts.get(`SELECT count(*) AS n FROM contacts c WHERE ${page.filter}`).get(...page.filterParams) as { n: number }).n;
    }
    const last = rows[rows.length - 1];
    const nextAfter = last && rows.length === (q.limit ?? 50)
      ? encodeAfter(sort, [...KEYS[sort].cols.map((_, i) => last[`k${i}`]), last.krid]) : null;
    return { contacts: this.hydrate(rows), total, nextAfter };
  }

  refs(accountId: string, q: ContactQuery): ContactRef[] {
    const page = this.page(accountId, q);
    const sql = `SELECT c.id, c.revision FROM (${page.sql}) page JOIN contacts c ON c.rowid = page.rid ORDER BY ${ORDER[q.sort ?? 'name']}`;
    return this.stmts.get(sql).all(...page.params) as ContactRef[];
  }

  // The json_each lists below are joined with CROSS JOIN, which makes them the outer loop (one
  // primary-key probe per id) whatever the statistics say; see sqlite-card-store.ts for what the
  // planner otherwise chose.
  byIds(accountId: string, ids: string[]): Contact[] {
    if (ids.length === 0) return [];
    const rows = this.stmts.get(`SELECT ${CONTACT_COLUMNS} FROM json_each(?) j CROSS JOIN contacts c ON c.id = j.value WHERE c.account_id = ? ORDER BY j.key`)
      .all(JSON.stringify(ids), accountId) as ContactRow[];
    return this.hydrate(rows);
  }

  /** The SQL that picks one page of rowids for a query. */
  private page(accountId: string, q: ContactQuery) {
    const region = this.regionOf(accountId);
    const vis = visibilitySql(q.visibility);
    const where = criterionSql(q.where ?? { all: true }, accountId, region);
    const filter = `c.account_id = ? AND ${vis.sql} AND ${where.sql}`;
    const filterParams = [accountId, ...vis.params, ...where.params];
    const filtered = !(q.where === undefined || 'all' in q.where);
    const sort = q.sort ?? 'name';
    const order = orderFor(sort, filtered);
    // keyset: rows after the cursor's (key..., rowid) in sort order, a range scan of the sort index
    let keyset = '';
    let keyParams: unknown[] = [];
    if (q.after !== undefined) {
      const k = KEYS[sort];
      keyset = ` AND (${k.cols.join(', ')}, c.rowid) ${k.desc ? '<' : '>'} (${k.cols.map(() => '?').join(', ')}, ?)`;
      keyParams = decodeAfter(sort, q.after, KEYS[sort].cols.length);
    }
    return {
      sql: `SELECT c.rowid AS rid FROM contacts c WHERE ${filter}${keyset} ORDER BY ${order} LIMIT ? OFFSET ?`,
      params: [...filterParams, ...keyParams, q.limit ?? 50, q.after !== undefined ? 0 : q.offset ?? 0],
      filter,
      filterParams,
    };
  }

  get(accountId: string, id: string, visibility: Visibility): Contact | null {
    const vis = visibilitySql(visibility);
    const row = this.stmts
      .get(`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE c.account_id = ? AND c.id = ? AND ${vis.sql}`)
      .get(accountId, id, ...vis.params) as ContactRow | undefined;
    return row ? this.hydrate([row])[0] : null;
  }

  /** A contact a write may touch, or 404: a contact of another scope or account does not exist. */
  getForWrite(accountId: string, scope: WriteScope, id: string): Contact {
    const c = this.get(accountId, id, scopeVisibility(scope));
    if (!c) throw new NotFoundError('Contact');
    return c;
  }

  all(accountId: string, scope: WriteScope): Contact[] {
    const vis = visibilitySql(scopeVisibility(scope));
    return this.allWhere(accountId, vis.sql, vis.params, ORDER.name);
  }

  /**
   * Every contact of the account whatever its source, in insertion (rowid) order: the in-memory
   * directory's build, which breaks name ties by this order as the store's queries do.
   */
  everyContact(accountId: string): Contact[] {
    return this.allWhere(accountId, '1', [], 'c.rowid');
  }

  /** A page of everyContact, by rowid: the contacts after rowid `after`, and the rowid to go on from. */
  everyContactAfter(accountId: string, after: number, limit: number): { contacts: Contact[]; next: number | null } {
    // NOT INDEXED: walk the table from the rowid on. With an index on account_id the planner would
    // read the whole account and sort it by rowid for every page (quadratic over a build).
    const rows = this.stmts.get(`SELECT ${CONTACT_COLUMNS}, c.rowid AS rowid_ FROM contacts c NOT INDEXED
      WHERE c.account_id = ? AND c.rowid > ? ORDER BY c.rowid LIMIT ?`).all(accountId, after, limit) as (ContactRow & { rowid_: number })[];
    const next = rows.length === limit ? rows[rows.length - 1].rowid_ : null;
    return { contacts: this.hydrate(rows), next };
  }

  countEvery(accountId: string): number {
    return (this.stmts.get('SELECT count(*) AS n FROM contacts WHERE account_id = ?').get(accountId) as { n: number }).n;
  }

  private allWhere(accountId: string, sql: string, params: unknown[], order: string): Contact[] {
    return this.stmts.read(() => this.allWhereNow(accountId, sql, params, order));
  }

  private allWhereNow(accountId: string, sql: string, params: unknown[], order: string): Contact[] {
    const rows = this.stmts
      .get(`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE c.account_id = ? AND ${sql} ORDER BY ${order}`)
      .all(accountId, ...params) as ContactRow[];
    // One pass over the account's numbers and group links beats one lookup per contact.
    const numbers = this.stmts.get(`SELECT contact_id, kind, raw, e164, digits FROM contact_numbers
      WHERE account_id = ? ORDER BY contact_id, position`).all(accountId) as NumberRow[];
    const groups = this.stmts.get(`SELECT cg.contact_id, g.name FROM groups g JOIN contact_groups cg ON cg.group_id = g.id
      WHERE g.account_id = ? ORDER BY cg.contact_id, cg.position`).all(accountId) as GroupLinkRow[];
    return contactsFromRows(rows, numbers, groups);
  }

  /** Numbers and groups for a page of rows, in two queries. */
  private hydrate(rows: ContactRow[]): Contact[] {
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.id));
    const numbers = this.stmts.get(`SELECT n.contact_id, n.kind, n.raw, n.e164, n.digits FROM json_each(?) j
      CROSS JOIN contact_numbers n ON n.contact_id = j.value ORDER BY n.contact_id, n.position`).all(ids) as NumberRow[];
    const groups = this.stmts.get(`SELECT cg.contact_id, g.name FROM json_each(?) j
      CROSS JOIN contact_groups cg ON cg.contact_id = j.value JOIN groups g ON g.id = cg.group_id
      ORDER BY cg.contact_id, cg.position`).all(ids) as GroupLinkRow[];
    return contactsFromRows(rows, numbers, groups);
  }
}

export function scopeVisibility(scope: WriteScope): Visibility {
  return scope.source === 'shared'
    ? { shared: true, users: false, personalOf: null }
    : { shared: false, users: false, personalOf: scope.userId };
}
