// The PostgreSQL implementation of the whole asynchronous store contract (async-store.ts). This
// file holds the transactions, contact reads and writes, audit and the lifecycle; accounts, the
// change feed, groups, users, tokens, card names, sessions, the sign-in limiter and paged queries
// are in the pg-*.ts files it delegates to. Every write transaction takes its account's next
// revision FIRST (UPDATE ... RETURNING holds the account row's lock to commit: writes to one
// account serialize, other accounts never wait), writes its change row under that revision, and
// NOTIFYs inside the transaction: PostgreSQL delivers a NOTIFY only at commit, so a hint never
// announces what is not there. Chosen by database.url (open-store.ts).
import { auditFields } from '../audit-fields.ts';
import pg from 'pg';
import type { Account, AccountCreate, AccountPatch, AccountVersion } from '../../domain/account-schemas.ts';
import type { Actor, AuditAction, AuditEntry } from '../../domain/audit.ts';
import { contactFields, type Contact } from '../../domain/contact-schemas.ts';
import type { Group } from '../../domain/group-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import { reverse } from '../../domain/phone-number.ts';
import { searchForms } from '../../domain/search-forms.ts';
import { groupKey } from '../../domain/text-fold.ts';
import { NotFoundError, PreconditionFailedError } from '../../errors.ts';
import type { ApiTokenInfo, TokenKind, User, UserCreate, UserPatch } from '../../domain/user-schemas.ts';
import type {
  AsyncChangeFeed, AsyncStore, BookChanges, BatchOp, BatchResult, ChangeWatch, ContactQuery, PhoneCredentials, RevisionChanges, SessionRecord, Visibility, WriteScope,
} from '../async-store.ts';
import { CONTENT_COLUMNS, contactValues } from '../contact-columns.ts';
import type { CardName, ContactPage, GroupCardWrite, ContactRef, CredentialRevocation, SigninFailureStore, StoredCardName, TokenRecord } from '../store.ts';
import { newId } from '../ids.ts';
import { PgAccountStore } from './pg-account-store.ts';
import { PgCardStore } from './pg-card-store.ts';
import { PgChangeFeed } from './pg-change-feed.ts';
import { bookOfScope, type FeedBook } from '../feed-books.ts';
import { PgContactQuery } from './pg-contact-query.ts';
import { Params, visibilitySql } from './pg-criterion.ts';
import { connectOrExplain } from './pg-connect.ts';
import { PgGroupStore } from './pg-group-store.ts';
import { importInto } from './pg-import.ts';
import { CHANGE_CHANNEL } from './pg-listener.ts';
import { migrate } from './pg-migrations.ts';
import { publicContact, selectContacts } from './pg-rows.ts';
import { PgSessionStore } from './pg-session-store.ts';
import { PgSigninFailures } from './pg-signin-failures.ts';
import { PgTokenStore } from './pg-token-store.ts';
import { PgUserStore } from './pg-user-store.ts';
import type { AccountTx, FeedEntry, PgWrites, PostgresOptions } from './pg-writes.ts';

export type { AccountTx, FeedEntry, PostgresOptions } from './pg-writes.ts';

export interface PostgresStore extends AsyncStore {
  /** The migrations this instance applied at start (empty when another instance had). */
  readonly appliedMigrations: number[];
}

const now = (): string => new Date().toISOString();

const LARGE_BATCH = 1000;

function owner(scope: WriteScope): { source: 'shared' | 'personal'; userId: string | null } {
  return scope.source === 'shared' ? { source: 'shared', userId: null } : { source: 'personal', userId: scope.userId };
}


const scopeVisibility = (scope: WriteScope): Visibility =>
  scope.source === 'shared' ? { shared: true, users: false, personalOf: null } : { shared: false, users: false, personalOf: scope.userId };

/** Opens the store: connects (one clear error naming host and port when the server cannot be reached), migrates. */
export async function openPostgresStore(opts: PostgresOptions): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: opts.url, max: opts.poolSize ?? 10, application_name: 'dialbook', connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
  });
  // A pooled connection that dies (server restart, pg_terminate_backend) must not crash the
  // process. pg-pool listens on idle clients only (pool 'error'); a client checked out between
  // two statements (a transaction awaiting its next chunk) emits 'error' on itself, and an
  // 'error' with no listener throws (measured: a PostgreSQL restart killed an instance). The
  // statement in flight fails on its own; release() sees the client is broken and drops it.
  pool.on('error', () => {});
  pool.on('connect', (client) => { client.on('error', () => {}); });
  let appliedMigrations: number[];
  const client = await connectOrExplain(pool, opts.url);
  try {
    appliedMigrations = await migrate(client);
  } finally {
    client.release();
  }
  return new PgStore(pool, opts, appliedMigrations);
}

class PgStore implements PostgresStore, PgWrites {
  readonly engine = 'postgres' as const;
  /** Holds the URL, maybe with its password: never logged. */
  readonly locator: { engine: 'postgres'; url: string };
  private readonly accounts: PgAccountStore;
  private readonly feed: PgChangeFeed;
  private readonly groups: PgGroupStore;
  private readonly users: PgUserStore;
  private readonly tokens: PgTokenStore;
  private readonly cards: PgCardStore;
  private readonly sessions: PgSessionStore;
  private readonly signins: PgSigninFailures;
  private readonly queries: PgContactQuery;

  constructor(private readonly pool: pg.Pool, opts: PostgresOptions, readonly appliedMigrations: number[]) {
    this.locator = { engine: 'postgres', url: opts.url };
    this.accounts = new PgAccountStore(this, pool, (fn) => this.tx(fn));
    this.feed = new PgChangeFeed(pool, opts, (fn) => this.tx(fn));
    this.groups = new PgGroupStore(this, pool);
    this.users = new PgUserStore(this, pool);
    this.tokens = new PgTokenStore(pool);
    this.cards = new PgCardStore(this, pool);
    this.sessions = new PgSessionStore(pool);
    this.signins = new PgSigninFailures(pool, (fn) => this.tx(fn));
    this.queries = new PgContactQuery(pool);
  }

  // ---- transactions ----

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  /**
   * A write to one account: takes the account's next revision first (the row lock), runs fn,
   * writes the feed entry fn returns under that revision, NOTIFYs, commits.
   */
  async accountTx<T>(accountId: string, fn: (t: AccountTx) => Promise<{ result: T; feed: FeedEntry | null }>): Promise<T> {
    return this.tx(async (client) => {
      const at = now();
      const { rows } = await client.query<{ revision: string }>('UPDATE accounts SET revision = revision + 1, updated_at = $2 WHERE id = $1 RETURNING revision', [accountId, at]);
      if (rows.length === 0) throw new NotFoundError('Account');
      const revision = Number(rows[0].revision);
      const { result, feed } = await fn({ client, revision, at });
      if (feed && (feed.everything || feed.changed.length > 0 || feed.deleted.length > 0)) {
        // deleted ids are kept with "everything": a book's sync reports them (bookChangesSince)
        await client.query('INSERT INTO change_log (account_id, revision, changed, deleted, everything, books) VALUES ($1, $2, $3, $4, $5, $6)',
          [accountId, revision, feed.everything ? [] : feed.changed, feed.deleted, feed.everything ?? false, feed.books ?? null]);
      }
      await client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, `${accountId}:${revision}`]);
      return result;
    });
  }

  async audit(c: pg.ClientBase, accountId: string, actor: Actor, action: AuditAction, targetId: string | null, before: unknown, after: unknown, at = now()): Promise<void> {
    await c.query('INSERT INTO audit_log (account_id, at, actor, action, target_id, before, after, batch_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)', [
      accountId, at, actor.id, action, targetId,
      before === null ? null : JSON.stringify(before), after === null ? null : JSON.stringify(after), actor.batchId ?? null,
    ]);
  }

  // ---- accounts (pg-account-store.ts) ----

  createAccount(input: AccountCreate, actor: Actor): Promise<Account> { return this.accounts.create(input, actor); }
  getAccount(id: string): Promise<Account | null> { return this.accounts.get(id); }
  listAccounts(): Promise<Account[]> { return this.accounts.list(); }
  updateAccount(id: string, patch: AccountPatch, actor: Actor): Promise<Account> { return this.accounts.update(id, patch, actor); }
  deleteAccount(id: string): Promise<void> { return this.accounts.delete(id); }
  getAccountVersion(id: string): Promise<AccountVersion | null> { return this.accounts.version(id); }
  setPhoneCredentials(id: string, creds: PhoneCredentials | null, actor: Actor): Promise<void> { return this.accounts.setPhoneCredentials(id, creds, actor); }
  getPhoneCredentials(id: string): Promise<PhoneCredentials | null> { return this.accounts.getPhoneCredentials(id); }
  findAccountByPathToken(token: string): Promise<string | null> { return this.accounts.findByPathToken(token); }

  /** The account's region (numbers of its entries are normalised in it), read in the caller's transaction. */
  async regionOn(c: pg.ClientBase, id: string): Promise<string> {
    const { rows } = await c.query<{ region: string }>('SELECT region FROM accounts WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFoundError('Account');
    return rows[0].region;
  }


  // ---- contact reads ----

  async getContactsByIds(accountId: string, ids: string[]): Promise<Contact[]> {
    if (ids.length === 0) return [];
    const found = await selectContacts(this.pool, 'c.account_id = $1 AND c.id = ANY($2)', [accountId, ids], 'c.seq');
    const byId = new Map(found.map((c) => [c.id, publicContact(c)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async getContact(accountId: string, id: string, visibility: Visibility): Promise<Contact | null> {
    return this.contactOn(this.pool, accountId, id, visibility);
  }

  async contactOn(db: pg.ClientBase | pg.Pool, accountId: string, id: string, visibility: Visibility): Promise<Contact | null> {
    const p = new Params();
    const rows = await selectContacts(db, `c.account_id = ${p.add(accountId)} AND c.id = ${p.add(id)} AND ${visibilitySql(visibility, p)}`, p.values, 'c.seq');
    return rows[0] ? publicContact(rows[0]) : null;
  }

  forWrite(db: pg.ClientBase, accountId: string, scope: WriteScope, id: string): Promise<Contact> {
    return this.contactForWrite(db, accountId, scopeVisibility(scope), id);
  }

  /** A contact a write may touch, or 404: a contact of another scope or account does not exist. */
  async contactForWrite(db: pg.ClientBase, accountId: string, visibility: Visibility, id: string): Promise<Contact> {
    const c = await this.contactOn(db, accountId, id, visibility);
    if (!c) throw new NotFoundError('Contact');
    return c;
  }

  async allContacts(accountId: string, scope: WriteScope): Promise<Contact[]> {
    const p = new Params();
    return (await selectContacts(this.pool, `c.account_id = ${p.add(accountId)} AND ${visibilitySql(scopeVisibility(scope), p)}`, p.values, 'c.sort_key, c.seq')).map(publicContact);
  }

  async accountContactsAfter(accountId: string, after: string | null, limit: number): Promise<{ contacts: Contact[]; next: string | null }> {
    const rows = await selectContacts(this.pool, 'c.account_id = $1 AND c.seq > $2', [accountId, after ?? '0'], 'c.seq', limit);
    return { contacts: rows.map(publicContact), next: rows.length === limit ? rows[rows.length - 1].seq : null };
  }

  async countAccountContacts(accountId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM contacts WHERE account_id = $1', [accountId]);
    return Number(rows[0].n);
  }

  // ---- contact writes ----

  /** Inserts one contact with its numbers, words and groups (statements; an import uses COPY). */
  async insertContact(c: pg.ClientBase, accountId: string, id: string, source: string, userId: string | null, contact: PreparedContact, by: string, at: string, groupIds: Map<string, string>): Promise<void> {
    const cols = CONTENT_COLUMNS.join(', ');
    const values = CONTENT_COLUMNS.map((_, i) => `$${i + 5}`).join(', ');
    const n = CONTENT_COLUMNS.length + 5;
    await c.query(`INSERT INTO contacts (id, account_id, source, user_id, ${cols}, created_at, created_by, updated_at, updated_by)
      VALUES ($1, $2, $3, $4, ${values}, $${n}, $${n + 1}, $${n}, $${n + 1})`, [id, accountId, source, userId, ...contactValues(contact), at, by]);
    await this.writeDerived(c, accountId, id, contact, groupIds);
    await this.saveVcard(c, accountId, id, contact);
  }

  /** The app's vCard, when the write carries one (CardDAV); other writes keep the stored one. */
  private async saveVcard(c: pg.ClientBase, accountId: string, id: string, contact: PreparedContact): Promise<void> {
    if (contact.vcard === undefined) return;
    await c.query(`INSERT INTO contact_vcards (contact_id, account_id, vcard) VALUES ($1, $2, $3)
      ON CONFLICT (contact_id) DO UPDATE SET vcard = excluded.vcard`, [id, accountId, contact.vcard]);
  }

  private async writeDerived(c: pg.ClientBase, accountId: string, id: string, contact: PreparedContact, groupIds: Map<string, string>): Promise<void> {
    if (contact.numbers.length > 0) {
      await c.query(`INSERT INTO contact_numbers (contact_id, account_id, kind, position, raw, e164, digits, digits_rev)
        SELECT $1, $2, k, p - 1, r, e, d, dr FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS t(k, r, e, d, dr, p)`,
      [id, accountId, contact.numbers.map((x) => x.kind), contact.numbers.map((x) => x.raw), contact.numbers.map((x) => x.e164),
        contact.numbers.map((x) => x.digits), contact.numbers.map((x) => reverse(x.digits))]);
    }
    if (contact.search.words.length > 0) {
      await c.query('INSERT INTO contact_words (account_id, word, contact_id) SELECT $1, w, $3 FROM unnest($2::text[]) AS w ON CONFLICT DO NOTHING',
        [accountId, contact.search.words, id]);
    }
    const groups = contact.fields.groups;
    for (let k = 0; k < groups.length; k++) {
      const gid = await this.ensureGroup(c, accountId, groups[k], groupIds);
      await c.query('INSERT INTO contact_groups (contact_id, group_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [id, gid, k]);
    }
  }

  /** Groups named on a contact are created when they do not exist yet (as the spreadsheet expects). */
  async ensureGroup(c: pg.ClientBase, accountId: string, name: string, cache: Map<string, string>): Promise<string> {
    const key = groupKey(name);
    const cached = cache.get(key);
    if (cached) return cached;
    const found = await c.query<{ id: string }>('SELECT id FROM groups WHERE account_id = $1 AND name_key = $2', [accountId, key]);
    let id = found.rows[0]?.id;
    if (!id) {
      id = newId();
      await c.query('INSERT INTO groups (id, account_id, name, name_key, created_at) VALUES ($1, $2, $3, $4, $5)', [id, accountId, name, key, now()]);
    }
    cache.set(key, id);
    return id;
  }

  private async removeDerived(c: pg.ClientBase, accountId: string, before: Contact): Promise<void> {
    await c.query('DELETE FROM contact_numbers WHERE contact_id = $1', [before.id]);
    await c.query('DELETE FROM contact_groups WHERE contact_id = $1', [before.id]);
    const words = searchForms({ ...before, title: '', email: '' }).words;
    if (words.length > 0) await c.query('DELETE FROM contact_words WHERE account_id = $1 AND word = ANY($2) AND contact_id = $3', [accountId, words, before.id]);
  }

  async updateRow(c: pg.ClientBase, accountId: string, before: Contact, contact: PreparedContact, by: string, at: string, groupIds: Map<string, string>): Promise<void> {
    const sets = CONTENT_COLUMNS.map((col, i) => `${col} = $${i + 2}`).join(', ');
    const n = CONTENT_COLUMNS.length + 2;
    await c.query(`UPDATE contacts SET ${sets}, updated_at = $${n}, updated_by = $${n + 1}, revision = revision + 1 WHERE id = $1`,
      [before.id, ...contactValues(contact), at, by]);
    await this.removeDerived(c, accountId, before);
    await this.writeDerived(c, accountId, before.id, contact, groupIds);
    await this.saveVcard(c, accountId, before.id, contact);
  }

  async deleteRow(c: pg.ClientBase, accountId: string, before: Contact): Promise<void> {
    await this.removeDerived(c, accountId, before);
    await c.query('DELETE FROM contacts WHERE id = $1', [before.id]);
  }

  /**
   * A user's personal contacts are theirs alone: the account's change history (which managers
   * read) records writes to shared contacts only, never a personal contact's fields.
   */
  async auditContact(c: pg.ClientBase, accountId: string, scope: WriteScope, actor: Actor, action: AuditAction, targetId: string, before: unknown, after: unknown, at: string): Promise<void> {
    if (scope.source === 'shared') await this.audit(c, accountId, actor, action, targetId, before, after, at);
  }

  /** A new contact inside an account transaction (createContact, and createContactWithCard with its card name). */
  async createOn({ client, at }: AccountTx, accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor): Promise<Contact> {
    const id = newId();
    const o = owner(scope);
    await this.insertContact(client, accountId, id, o.source, o.userId, contact, actor.id, at, new Map());
    await this.auditContact(client, accountId, scope, actor, 'contact.create', id, null, contact.fields, at);
    return this.forWrite(client, accountId, scope, id);
  }

  async createContact(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor): Promise<Contact> {
    return this.accountTx(accountId, async (t) => {
      const c = await this.createOn(t, accountId, scope, contact, actor);
      return { result: c, feed: { changed: [c.id], deleted: [], books: [bookOfScope(scope)] } };
    });
  }

  async updateContact(accountId: string, scope: WriteScope, id: string, contact: PreparedContact, actor: Actor, expectedRevision?: number): Promise<Contact> {
    return this.accountTx(accountId, async ({ client, at }) => {
      const before = await this.forWrite(client, accountId, scope, id);
      if (expectedRevision !== undefined && before.revision !== expectedRevision) throw new PreconditionFailedError();
      await this.updateRow(client, accountId, before, contact, actor.id, at, new Map());
      await this.auditContact(client, accountId, scope, actor, 'contact.update', id, contactFields(before), contact.fields, at);
      return { result: await this.forWrite(client, accountId, scope, id), feed: { changed: [id], deleted: [], books: [bookOfScope(scope)] } };
    });
  }

  async deleteContact(accountId: string, scope: WriteScope, id: string, actor: Actor, expectedRevision?: number): Promise<void> {
    await this.accountTx(accountId, async ({ client, at }) => {
      const before = await this.forWrite(client, accountId, scope, id);
      if (expectedRevision !== undefined && before.revision !== expectedRevision) throw new PreconditionFailedError();
      await this.deleteRow(client, accountId, before);
      await this.auditContact(client, accountId, scope, actor, 'contact.delete', id, contactFields(before), null, at);
      return { result: undefined, feed: { changed: [], deleted: [id], books: [bookOfScope(scope)] } };
    });
  }

  /** A batch of the API: its caller does not run afterLargeWrite, so a large one refreshes the statistics here. */
  async applyBatch(accountId: string, scope: WriteScope, ops: BatchOp[], actor: Actor): Promise<BatchResult> {
    const result = await this.importContacts(accountId, scope, [ops], actor);
    if (result.created.length + result.updated.length + result.deleted.length >= LARGE_BATCH) await this.afterLargeWrite();
    return result;
  }

  /**
   * No ANALYZE here (it was 0.7-1.3 s of a 100,000-row import's answer on a loaded machine): the
   * import thread runs afterLargeWrite once it has answered (spreadsheet/import-worker.ts), as on
   * SQLite, and imports small enough for the request thread change too little to need it.
   */
  async importContacts(accountId: string, scope: WriteScope, chunks: AsyncIterable<BatchOp[]> | Iterable<BatchOp[]>, actor: Actor): Promise<BatchResult> {
    return this.accountTx(accountId, async (t) => {
      const { result, total } = await importInto(this, t, accountId, scope, chunks, actor);
      // Most of the account new at once: one "everything" entry (readers rebuild, as they would anyway).
      const everything = result.created.length >= LARGE_BATCH && result.created.length * 2 >= total;
      return { result, feed: { changed: [...result.created, ...result.updated], deleted: result.deleted, everything, books: [bookOfScope(scope)] } };
    });
  }

  // ---- change feed (pg-change-feed.ts) ----

  changesSince(accountId: string, after: number, maxChanges?: number): Promise<RevisionChanges | null> { return this.feed.changesSince(accountId, after, maxChanges); }
  bookChangesSince(accountId: string, book: FeedBook, after: number | null): Promise<BookChanges | null> { return this.feed.bookChangesSince(accountId, book, after); }
  changeCount(accountId: string, after: number): Promise<number | null> { return this.feed.changeCount(accountId, after); }
  pruneChangeLog(olderThanEpochSeconds: number): Promise<number> { return this.feed.pruneChangeLog(olderThanEpochSeconds); }
  watchChanges(onHint: Parameters<AsyncChangeFeed['watchChanges']>[0]): Promise<ChangeWatch> { return this.feed.watchChanges(onHint); }

  // ---- groups (pg-group-store.ts) and audit ----

  listGroups(accountId: string): Promise<Group[]> { return this.groups.list(accountId); }
  createGroup(accountId: string, name: string, actor: Actor): Promise<Group> { return this.groups.create(accountId, name, actor); }
  renameGroup(accountId: string, groupId: string, name: string, actor: Actor): Promise<Group> { return this.groups.rename(accountId, groupId, name, actor); }
  deleteGroup(accountId: string, groupId: string, actor: Actor): Promise<void> { return this.groups.delete(accountId, groupId, actor); }

  async listAudit(accountId: string, opts: { limit: number; before?: number; contactId?: string }): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<{ id: string; account_id: string; at: string; actor: string; action: string; target_id: string | null; before: string | null; after: string | null; batch_id: string | null }>(
      `SELECT * FROM audit_log WHERE account_id = $1 AND id < $2 AND ($3::text IS NULL OR target_id = $3) ORDER BY id DESC LIMIT $4`,
      [accountId, opts.before ?? Number.MAX_SAFE_INTEGER, opts.contactId ?? null, opts.limit]);
    return rows.map((r) => ({
      id: Number(r.id), accountId: r.account_id, at: r.at, actor: r.actor, action: r.action as AuditAction, targetId: r.target_id,
      before: auditFields(r.action, r.before), after: auditFields(r.action, r.after), batchId: r.batch_id,
    }));
  }

  // ---- contact queries (pg-contact-query.ts) ----

  queryContacts(accountId: string, query: ContactQuery): Promise<ContactPage> { return this.queries.query(accountId, query); }
  queryContactRefs(accountId: string, query: ContactQuery): Promise<ContactRef[]> { return this.queries.refs(accountId, query); }

  // ---- users (pg-user-store.ts) and tokens (pg-token-store.ts) ----

  createUser(accountId: string, input: Omit<UserCreate, 'password'> & { passwordHash?: string | null }, actor: Actor): Promise<User> {
    return this.users.create(accountId, input, actor);
  }
  getUser(accountId: string, userId: string): Promise<User | null> { return this.users.get(accountId, userId); }
  findUserByLogin(accountId: string, login: string): Promise<(User & { passwordHash: string | null }) | null> { return this.users.findByLogin(accountId, login); }
  listUsers(accountId: string): Promise<User[]> { return this.users.list(accountId); }
  /** `revoke` (as the synchronous store's updateUser): the user's sessions and tokens end in the same transaction. */
  updateUser(accountId: string, userId: string, patch: Omit<UserPatch, 'password'> & { passwordHash?: string | null }, actor: Actor, revoke?: CredentialRevocation): Promise<User> {
    return this.users.update(accountId, userId, patch, actor, revoke);
  }
  deleteUser(accountId: string, userId: string, actor: Actor): Promise<void> { return this.users.delete(accountId, userId, actor); }
  upgradePasswordHash(accountId: string, userId: string, expected: string, next: string): Promise<boolean> {
    return this.users.upgradePasswordHash(accountId, userId, expected, next);
  }

  createToken(t: { accountId: string | null; userId: string | null; label: string; tokenHash: string; kind?: TokenKind }): Promise<ApiTokenInfo> { return this.tokens.create(t); }
  findTokenByHash(tokenHash: string): Promise<TokenRecord | null> { return this.tokens.findByHash(tokenHash); }
  listTokens(accountId: string | null, userId: string | null): Promise<ApiTokenInfo[]> { return this.tokens.list(accountId, userId); }
  deleteToken(accountId: string | null, tokenId: string): Promise<boolean> { return this.tokens.delete(accountId, tokenId); }
  touchToken(tokenId: string): Promise<void> { return this.tokens.touch(tokenId); }
  countPlatformTokens(): Promise<number> { return this.tokens.countPlatform(); }

  // ---- CardDAV names (pg-card-store.ts) ----

  cardNames(accountId: string, contactIds: string[]): Promise<Map<string, StoredCardName>> { return this.cards.names(accountId, contactIds); }
  findContactIdsByCard(accountId: string, by: { name: string } | { uid: string }): Promise<string[]> { return this.cards.find(accountId, by); }
  findContactIdsByCards(accountId: string, by: 'name' | 'uid', values: string[]): Promise<Map<string, string[]>> { return this.cards.findMany(accountId, by, values); }
  storedVcards(accountId: string, contactIds: string[]): Promise<Map<string, string>> { return this.cards.vcards(accountId, contactIds); }
  createContactWithCard(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor, card: CardName): Promise<Contact> {
    return this.cards.createWithCard(accountId, scope, contact, actor, card);
  }
  writeGroupCard(accountId: string, scope: WriteScope, write: GroupCardWrite, actor: Actor): Promise<Contact | null> {
    return this.cards.writeGroup(accountId, scope, write, actor);
  }

  // ---- sign-in failures (pg-signin-failures.ts) and sessions (pg-session-store.ts) ----

  signinState(...args: Parameters<SigninFailureStore['signinState']>): Promise<ReturnType<SigninFailureStore['signinState']>> {
    return this.signins.state(...args);
  }
  recordSigninFailure(...args: Parameters<SigninFailureStore['recordSigninFailure']>): Promise<ReturnType<SigninFailureStore['recordSigninFailure']>> {
    return this.signins.recordFailure(...args);
  }
  recordSigninSuccess(...args: Parameters<SigninFailureStore['recordSigninSuccess']>): Promise<void> { return this.signins.recordSuccess(...args); }

  createSession(record: SessionRecord): Promise<void> { return this.sessions.create(record); }
  findSessionByHash(tokenHash: string): Promise<SessionRecord | null> { return this.sessions.findByHash(tokenHash); }
  touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void> { return this.sessions.touch(id, lastSeenAt, expiresAt); }
  markSessionAuthenticated(id: string, at: number): Promise<void> { return this.sessions.markAuthenticated(id, at); }
  deleteSession(id: string, owner?: { accountId: string; userId: string }): Promise<boolean> { return this.sessions.delete(id, owner); }
  listUserSessions(accountId: string, userId: string, now: number): Promise<SessionRecord[]> { return this.sessions.listForUser(accountId, userId, now); }
  deleteUserSessions(accountId: string, userId: string): Promise<number> { return this.sessions.deleteForUser(accountId, userId); }

  // ---- lifecycle ----

  async probeWrite(): Promise<void> {
    const c = await this.pool.connect();
    try {
      // A readiness check must answer, not queue behind a stuck writer.
      await c.query('BEGIN');
      await c.query("SET LOCAL statement_timeout = '200ms'");
      await c.query('INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at', [Date.now()]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async afterLargeWrite(): Promise<void> {
    // Plans depend on statistics; autovacuum gets to them eventually, a read model build is now.
    await this.pool.query('ANALYZE contacts, contact_numbers, contact_words, contact_groups');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export type { PgStore };
