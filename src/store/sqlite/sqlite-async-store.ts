// The asynchronous store contract (async-store.ts) over today's synchronous SQLite store: the
// embedded default keeps working through the same contract and the same change feed as
// PostgreSQL; what the server runs on when database.url is not set (open-store.ts).
//  - Writes go through one queue: an import holds SQLite's write lock on a connection of its own
//    while its chunks arrive, and a write on the main connection meanwhile would block the event
//    loop in busy_timeout; queued, it just waits for the import to commit.
//  - The feed is read by revision (migration 8 tags change rows with the revision they committed
//    as). Hints are in-process (this store's own writes); writes by other processes on the file
//    (the import and export threads) are found by the follower's safety poll.
import { statSync } from 'node:fs';
import { ACCOUNT_GONE_REVISION, MAX_FEED_CHANGES } from '../async-store.ts';
import type { AsyncStore, BatchOp, BookChanges, ChangeHint, ChangeWatch, RevisionChanges } from '../async-store.ts';
import type { Store, WriteScope } from '../store.ts';
import type { Actor } from '../../domain/audit.ts';
import { openDatabase, type Db } from './database.ts';
import { revisionFloorKey } from './sqlite-change-feed.ts';
import { EVERY_BOOK, type FeedBook } from '../feed-books.ts';
import { openSqliteStore } from './sqlite-store.ts';


/**
 * A write-ahead log at least this large is checkpointed (TRUNCATE) by afterLargeWrite, which the
 * import thread runs right after it answers: about 13,000 imported contacts. Below it, the copy is
 * a few milliseconds whenever the server's connection next commits.
 */
export const LARGE_WAL_BYTES = 16 << 20;

/** Runs tasks one after another (a write queue). */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export interface SqliteAsyncOptions {
  /**
   * Reads only (the export thread): no migration and no statistics refresh at open, which would
   * write and could wait for an import's write lock. Writes fail.
   */
  readOnly?: boolean;
}

/**
 * `over`: a synchronous store already open on the file (the server's, while callers move to this
 * contract); it is closed with this one.
 */
export function openSqliteAsyncStore(file: string, over?: Store, opts: SqliteAsyncOptions = {}): AsyncStore {
  const store: Store = over ?? openSqliteStore(file, { readOnly: opts.readOnly });
  // Feed reads on a read-only connection of their own, in one read transaction each.
  const reader: Db = openDatabase(file, { readOnly: true });
  const writes = new Queue();
  const walBytes = () => {
    try {
      return statSync(`${file}-wal`).size;
    } catch {
      return 0;
    }
  };
  const watchers = new Set<(hint: ChangeHint) => void>();

  const hint = (accountId: string) => {
    if (watchers.size === 0) return;
    const version = store.getAccountVersion(accountId);
    if (!version) return;
    for (const w of watchers) w({ kind: 'changed', accountId, revision: version.revision });
  };
  /** A write on the main connection, queued, then a hint for its account. */
  const write = <T>(accountId: string | null, fn: () => T): Promise<T> =>
    writes.run(() => {
      const result = fn();
      if (accountId) hint(accountId);
      return result;
    });

  const changesSince = (accountId: string, after: number, maxChanges = MAX_FEED_CHANGES): RevisionChanges | null =>
    reader.transaction(() => {
      const account = reader.prepare('SELECT revision FROM accounts WHERE id = ?').get(accountId) as { revision: number } | undefined;
      if (!account) return null;
      const floor = reader.prepare('SELECT value FROM store_meta WHERE key = ?').get(revisionFloorKey(accountId)) as { value: number } | undefined;
      if (after < (floor?.value ?? 0)) return null;
      // counted along the (account, revision) index first (and a row of "every entry changed"
      // found there): the rows below, of the same read transaction, are few and name contacts
      const size = reader.prepare('SELECT count(*) AS n, max(contact_id IS NULL) AS every FROM change_log WHERE account_id = ? AND revision > ?')
        .get(accountId, after) as { n: number; every: number | null };
      if (size.every === 1 || size.n > maxChanges) return null;
      const rows = reader.prepare('SELECT contact_id AS contactId, deleted FROM change_log WHERE account_id = ? AND revision > ? ORDER BY revision, id')
        .all(accountId, after) as { contactId: string; deleted: number }[];
      const last = new Map<string, boolean>();
      for (const r of rows) {
        last.delete(r.contactId);
        last.set(r.contactId, r.deleted === 1);
      }
      // A cascade can log a membership change after a deletion: existence decides.
      const exists = reader.prepare('SELECT 1 FROM contacts WHERE id = ? AND account_id = ?');
      const changed: string[] = [];
      const deleted: string[] = [];
      for (const id of last.keys()) (exists.get(id, accountId) ? changed : deleted).push(id);
      return { upTo: Math.max(after, account.revision), changed, deleted };
    }).deferred();

  /** One book's changes (AsyncChangeFeed.bookChangesSince), in one read transaction. */
  const bookChangesSince = (accountId: string, book: FeedBook, after: number | null): BookChanges | null =>
    reader.transaction(() => {
      const account = reader.prepare('SELECT revision FROM accounts WHERE id = ?').get(accountId) as { revision: number } | undefined;
      if (!account || (after !== null && after > account.revision)) return null;
      const floor = (reader.prepare('SELECT max(revision) AS r FROM change_book_floor WHERE account_id = ? AND book IN (?, ?)')
        .get(accountId, book, EVERY_BOOK) as { r: number | null }).r ?? 0;
      // Two lookups of the (account_id, book, revision) index: the book's rows and rows of every book.
      const ofBook = (reader.prepare('SELECT max(revision) AS r FROM change_log WHERE account_id = ? AND book = ?').get(accountId, book) as { r: number | null }).r ?? 0;
      const ofEvery = (reader.prepare('SELECT max(revision) AS r FROM change_log WHERE account_id = ? AND book IS NULL').get(accountId) as { r: number | null }).r ?? 0;
      const revision = Math.max(floor, ofBook, ofEvery);
      const out: BookChanges = { revision, accountRevision: account.revision, all: false, changed: [], deleted: [] };
      if (after === null) return out;
      if (after < floor) return null;
      const rows = reader.prepare(`SELECT contact_id AS contactId, deleted FROM change_log
        WHERE account_id = ? AND revision > ? AND (book = ? OR book IS NULL) ORDER BY revision, id`).all(accountId, after, book) as { contactId: string | null; deleted: number }[];
      const last = new Map<string, boolean>();
      for (const r of rows) {
        if (r.contactId === null) { out.all = true; continue; }
        last.delete(r.contactId);
        last.set(r.contactId, r.deleted === 1);
      }
      const exists = reader.prepare('SELECT 1 FROM contacts WHERE id = ? AND account_id = ?');
      for (const id of last.keys()) (exists.get(id, accountId) ? out.changed : out.deleted).push(id);
      return out;
    }).deferred();

  const importContacts = async (accountId: string, scope: WriteScope, chunks: AsyncIterable<BatchOp[]> | Iterable<BatchOp[]>, actor: Actor) =>
    writes.run(async () => {
      // A connection of its own: the batch's open transaction is invisible to the main connection's readers.
      const own = openSqliteStore(file, { deferCheckpoints: true });
      try {
        const batch = own.openBatch(accountId, scope, actor);
        try {
          for await (const ops of chunks) batch.apply(ops);
        } catch (err) {
          batch.rollback();
          throw err;
        }
        const result = batch.commit();
        hint(accountId);
        // The WAL now holds the import's pages (1.2 GB for 1,000,000 contacts); afterLargeWrite,
        // which the import thread runs once it has answered, empties it.
        return result;
      } finally {
        own.close();
      }
    });

  return {
    engine: 'sqlite',
    locator: { engine: 'sqlite', file },
    createAccount: (input, actor) => write(null, () => store.createAccount(input, actor)),
    getAccount: async (id) => store.getAccount(id),
    listAccounts: async () => store.listAccounts(),
    updateAccount: (id, patch, actor) => write(id, () => store.updateAccount(id, patch, actor)),
    deleteAccount: (id) => write(null, () => {
      store.deleteAccount(id);
      for (const w of watchers) w({ kind: 'changed', accountId: id, revision: ACCOUNT_GONE_REVISION });
    }),
    getAccountVersion: async (id) => store.getAccountVersion(id),
    setPhoneCredentials: (id, creds, actor) => write(id, () => store.setPhoneCredentials(id, creds, actor)),
    getPhoneCredentials: async (id) => store.getPhoneCredentials(id),
    findAccountByPathToken: async (token) => store.findAccountByPathToken(token),

    getContactsByIds: async (a, ids) => store.getContactsByIds(a, ids),
    getContact: async (a, id, vis) => store.getContact(a, id, vis),
    allContacts: async (a, scope) => store.allContacts(a, scope),
    accountContactsAfter: async (a, after, limit) => {
      const page = store.accountContactsAfter(a, after === null ? 0 : Number(after), limit);
      return { contacts: page.contacts, next: page.next === null ? null : String(page.next) };
    },
    countAccountContacts: async (a) => store.countAccountContacts(a),
    queryContacts: async (a, q) => store.queryContacts(a, q),
    queryContactRefs: async (a, q) => store.queryContactRefs(a, q),

    createContact: (a, scope, c, actor) => write(a, () => store.createContact(a, scope, c, actor)),
    updateContact: (a, scope, id, c, actor, rev) => write(a, () => store.updateContact(a, scope, id, c, actor, rev)),
    deleteContact: (a, scope, id, actor, rev) => write(a, () => store.deleteContact(a, scope, id, actor, rev)),
    applyBatch: (a, scope, ops, actor) => write(a, () => store.applyBatch(a, scope, ops, actor)),
    importContacts,

    changesSince: async (a, after, max) => changesSince(a, after, max),
    bookChangesSince: async (a, book, after) => bookChangesSince(a, book, after),
    changeCount: async (a, after) => {
      const changes = changesSince(a, after);
      return changes === null ? null : changes.changed.length + changes.deleted.length;
    },
    pruneChangeLog: (before) => write(null, () => store.pruneChangeLog(before)),
    watchChanges: async (onHint) => {
      watchers.add(onHint);
      let open = true;
      // The "channel" is this process: it is up from now on, and says so like a reconnect would.
      queueMicrotask(() => { if (open) onHint({ kind: 'connected' }); });
      const watch: ChangeWatch = {
        get connected() { return open; },
        close: async () => { open = false; watchers.delete(onHint); },
      };
      return watch;
    },

    createUser: (a, input, actor) => write(a, () => store.createUser(a, input, actor)),
    getUser: async (a, id) => store.getUser(a, id),
    findUserByLogin: async (a, login) => store.findUserByLogin(a, login),
    listUsers: async (a) => store.listUsers(a),
    updateUser: (a, id, patch, actor, revoke) => write(a, () => store.updateUser(a, id, patch, actor, revoke)),
    deleteUser: (a, id, actor) => write(a, () => store.deleteUser(a, id, actor)),
    upgradePasswordHash: (a, id, expected, next) => write(null, () => store.upgradePasswordHash(a, id, expected, next)),

    createToken: (t) => write(null, () => store.createToken(t)),
    findTokenByHash: async (h) => store.findTokenByHash(h),
    listTokens: async (a, u) => store.listTokens(a, u),
    deleteToken: (a, id) => write(null, () => store.deleteToken(a, id)),
    touchToken: (id) => write(null, () => store.touchToken(id)),
    countPlatformTokens: async () => store.countPlatformTokens(),

    listGroups: async (a) => store.listGroups(a),
    createGroup: (a, name, actor) => write(a, () => store.createGroup(a, name, actor)),
    renameGroup: (a, id, name, actor) => write(a, () => store.renameGroup(a, id, name, actor)),
    deleteGroup: (a, id, actor) => write(a, () => store.deleteGroup(a, id, actor)),
    listAudit: async (a, opts) => store.listAudit(a, opts),

    cardNames: async (a, ids) => store.cardNames(a, ids),
    findContactIdsByCard: async (a, by) => store.findContactIdsByCard(a, by),
    findContactIdsByCards: async (a, by, values) => store.findContactIdsByCards(a, by, values),
    storedVcards: async (a, ids) => store.storedVcards(a, ids),
    createContactWithCard: (a, scope, c, actor, card) => write(a, () => store.createContactWithCard(a, scope, c, actor, card)),
    writeGroupCard: (a, scope, w, actor) => write(a, () => store.writeGroupCard(a, scope, w, actor)),

    signinState: async (keys, source, login, at, leak) => store.signinState(keys, source, login, at, leak),
    recordSigninFailure: (entries, at, policy) => write(null, () => store.recordSigninFailure(entries, at, policy)),
    recordSigninSuccess: (source, login, at, forget) => write(null, () => store.recordSigninSuccess(source, login, at, forget)),

    createSession: (r) => write(null, () => store.createSession(r)),
    findSessionByHash: async (h) => store.findSessionByHash(h),
    touchSession: (id, seen, expires) => write(null, () => store.touchSession(id, seen, expires)),
    markSessionAuthenticated: (id, at) => write(null, () => store.markSessionAuthenticated(id, at)),
    deleteSession: (id, owner) => write(null, () => store.deleteSession(id, owner)),
    listUserSessions: async (a, u, at) => store.listUserSessions(a, u, at),
    deleteUserSessions: (a, u) => write(null, () => store.deleteUserSessions(a, u)),

    probeWrite: () => writes.run(() => store.probeWrite()),
    // A large import's pages are all in the WAL: copy them into the database file and empty the
    // WAL (TRUNCATE), so that the disk use a manager sees is the database's. The import thread
    // runs this after answering and before it takes its next job, so the WAL stays bounded by one
    // import without the answer waiting for the copy. Smaller writes leave it to the server's
    // connection, which checkpoints at its commits.
    afterLargeWrite: () => writes.run(() => { store.checkpoint(walBytes() >= LARGE_WAL_BYTES ? 'truncate' : 'passive'); }),
    close: () => writes.run(() => {
      watchers.clear();
      reader.close();
      store.close();
    }),
  };
}
