// The SQLite implementation of the Store interface: composes the per-concept parts over one
// better-sqlite3 connection (SQLite serialises writes; reads are microseconds with the indexes).
import { join } from 'node:path';
import type { Store } from '../store.ts';
import { openDatabase, StatementCache, type OpenOptions } from './database.ts';
import { SqliteAccountStore } from './sqlite-account-store.ts';
import { SqliteChangeFeed } from './sqlite-change-feed.ts';
import { SqliteCardStore } from './sqlite-card-store.ts';
import { SqliteContactReader } from './sqlite-contact-reader.ts';
import { SqliteContactWriter } from './sqlite-contact-writer.ts';
import { SqliteGroupStore } from './sqlite-group-store.ts';
import { SqliteSigninFailures } from './sqlite-signin-failures.ts';
import { SqliteSessionStore } from './sqlite-session-store.ts';
import { SqliteUserStore } from './sqlite-user-store.ts';

/** The database's file name in the data dir. */
export const DATABASE_FILE_NAME = 'dialbook.db';

/** Where the server, its import and export threads and the backup commands find the database. */
export function databaseFile(config: { dataDir: string }): string {
  return join(config.dataDir, DATABASE_FILE_NAME);
}

export function openSqliteStore(file: string, opts: OpenOptions = {}): Store {
  const db = openDatabase(file, opts);
  const stmts = new StatementCache(db);
  let accounts: SqliteAccountStore;
  const regionOf = (accountId: string) => accounts.region(accountId);
  const reader = new SqliteContactReader(stmts, regionOf);
  const writer = new SqliteContactWriter(db, stmts, reader);
  accounts = new SqliteAccountStore(db, stmts, writer);
  const users = new SqliteUserStore(db, stmts, writer, regionOf);
  const groups = new SqliteGroupStore(db, stmts, writer);
  const feed = new SqliteChangeFeed(db, stmts);
  const signins = new SqliteSigninFailures(db, stmts);
  const cards = new SqliteCardStore(db, stmts, writer, reader);
  const sessions = new SqliteSessionStore(db, stmts);

  return {
    createAccount: (input, actor) => accounts.create(input, actor),
    getAccount: (id) => accounts.get(id),
    listAccounts: () => accounts.list(),
    updateAccount: (id, patch, actor) => accounts.update(id, patch, actor),
    deleteAccount: (id) => accounts.delete(id),
    getAccountVersion: (id) => accounts.version(id),
    setPhoneCredentials: (id, creds, actor) => accounts.setPhoneCredentials(id, creds, actor),
    getPhoneCredentials: (id) => accounts.getPhoneCredentials(id),
    findAccountByPathToken: (token) => accounts.findByPathToken(token),

    createUser: (a, input, actor) => users.create(a, input, actor),
    getUser: (a, id) => users.get(a, id),
    findUserByLogin: (a, login) => users.findByLogin(a, login),
    listUsers: (a) => users.list(a),
    updateUser: (a, id, patch, actor, revoke) => users.update(a, id, patch, actor, revoke),
    deleteUser: (a, id, actor) => users.delete(a, id, actor),
    createToken: (t) => users.createToken(t),
    findTokenByHash: (h) => users.findTokenByHash(h),
    listTokens: (a, u) => users.listTokens(a, u),
    deleteToken: (a, id) => users.deleteToken(a, id),
    touchToken: (id) => users.touchToken(id),
    countPlatformTokens: () => users.countPlatformTokens(),

    queryContacts: (a, q) => reader.query(a, q),
    queryContactRefs: (a, q) => reader.refs(a, q),
    getContactsByIds: (a, ids) => reader.byIds(a, ids),
    getContact: (a, id, vis) => reader.get(a, id, vis),
    allContacts: (a, scope) => reader.all(a, scope),
    allAccountContacts: (a) => reader.everyContact(a),
    accountContactsAfter: (a, after, limit) => reader.everyContactAfter(a, after, limit),
    countAccountContacts: (a) => reader.countEvery(a),
    createContact: (a, scope, c, actor) => writer.create(a, scope, c, actor),
    updateContact: (a, scope, id, c, actor, rev) => writer.update(a, scope, id, c, actor, rev),
    deleteContact: (a, scope, id, actor, rev) => writer.delete(a, scope, id, actor, rev),
    applyBatch: (a, scope, ops, actor) => writer.batch(a, scope, ops, actor),
    openBatch: (a, scope, actor) => writer.open(a, scope, actor),
    contactChangesSince: (a, after) => feed.since(a, after),
    contactChangePoint: (a) => feed.point(a),
    contactChangeCount: (a, after) => feed.count(a, after),
    pruneChangeLog: (before) => feed.prune(before),

    signinState: (keys, source, login, at, leak) => signins.state(keys, source, login, at, leak),
    recordSigninFailure: (entries, at, leak) => signins.recordFailure(entries, at, leak),
    recordSigninSuccess: (source, login, at, forgetBefore) => signins.recordSuccess(source, login, at, forgetBefore),

    cardNames: (a, ids) => cards.names(a, ids),
    findContactIdsByCard: (a, by) => cards.find(a, by),
    findContactIdsByCards: (a, by, values) => cards.findMany(a, by, values),
    storedVcards: (a, ids) => cards.vcards(a, ids),
    createContactWithCard: (a, scope, c, actor, card) => cards.createWithCard(a, scope, c, actor, card),
    writeGroupCard: (a, scope, w, actor) => cards.writeGroup(a, scope, w, actor),

    listGroups: (a) => groups.list(a),
    createGroup: (a, name, actor) => groups.create(a, name, actor),
    renameGroup: (a, id, name, actor) => groups.rename(a, id, name, actor),
    deleteGroup: (a, id, actor) => groups.delete(a, id, actor),
    listAudit: (a, opts) => groups.audit(a, opts),

    createSession: (r) => sessions.create(r),
    findSessionByHash: (h) => sessions.findByHash(h),
    touchSession: (id, seen, expires) => sessions.touch(id, seen, expires),
    markSessionAuthenticated: (id, at) => sessions.markAuthenticated(id, at),
    deleteSession: (id, owner) => sessions.delete(id, owner),
    listUserSessions: (a, u, at) => sessions.listForUser(a, u, at),
    deleteUserSessions: (a, u) => sessions.deleteForUser(a, u),

    upgradePasswordHash: (a, id, expected, next) =>
      stmts.get('UPDATE users SET password_hash = ? WHERE id = ? AND account_id = ? AND password_hash = ?').run(next, id, a, expected).changes > 0,
    probeWrite: () => {
      // A short wait only: a readiness check must answer, not queue behind a stuck writer.
      const previous = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma('busy_timeout = 200');
      try {
        stmts.get('INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(Date.now());
      } finally {
        db.pragma(`busy_timeout = ${previous}`);
      }
    },
    backup: async (toFile) => { await db.backup(toFile); },
    checkpoint: (mode = 'passive') => {
      const [r] = db.pragma(`wal_checkpoint(${mode === 'truncate' ? 'TRUNCATE' : 'PASSIVE'})`) as { busy: number }[];
      return r?.busy === 0;
    },
    close: () => db.close(),
  };
}
