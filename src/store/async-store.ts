// The store contract every caller awaits (issue 19): each call a Promise, shaped so that a server
// database (PostgreSQL) and several instances fit. docs/store-contract.md says why each part is as
// it is. Implementations: sqlite/sqlite-async-store.ts (the embedded default, over the synchronous
// SQLite store) and postgres/pg-store.ts; open-store.ts picks one by configuration.
import type { Account, AccountCreate, AccountPatch, AccountVersion } from '../domain/account-schemas.ts';
import type { Actor, AuditEntry } from '../domain/audit.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import type { Group } from '../domain/group-schemas.ts';
import type { PreparedContact } from '../domain/prepare-contact.ts';
import type { ApiTokenInfo, TokenKind, User, UserCreate, UserPatch } from '../domain/user-schemas.ts';
import type {
  BatchOp, BatchResult, CardName, GroupCardWrite, ContactPage, ContactQuery, ContactRef, CredentialRevocation, SessionRecord, SigninFailureStore, StoredCardName, TokenRecord,
  Visibility, WriteScope,
} from './store.ts';
import type { FeedBook } from './feed-books.ts';

export type { BatchOp, BatchResult, ContactQuery, SessionRecord, Visibility, WriteScope };

export type PhoneCredentials = { username: string; secretSealed: string; pathToken: string };

export interface AsyncAccountStore {
  createAccount(input: AccountCreate, actor: Actor): Promise<Account>;
  getAccount(accountId: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  /** Takes the account's next revision; a settings change is an "everything changed" feed entry. */
  updateAccount(accountId: string, patch: AccountPatch, actor: Actor): Promise<Account>;
  deleteAccount(accountId: string): Promise<void>;
  /** The account's incarnation and revision; the revision is also its change-feed position. */
  getAccountVersion(accountId: string): Promise<AccountVersion | null>;
  setPhoneCredentials(accountId: string, creds: PhoneCredentials | null, actor: Actor): Promise<void>;
  getPhoneCredentials(accountId: string): Promise<PhoneCredentials | null>;
  findAccountByPathToken(pathToken: string): Promise<string | null>;
}

/** Where a page of every-contact reading goes on from: opaque to callers (a rowid on SQLite, a key on PostgreSQL). */
export type ContactCursor = string;

export interface AsyncContactReads {
  /** Contacts by id, any visibility, in the order of ids (missing ids left out). */
  getContactsByIds(accountId: string, ids: string[]): Promise<Contact[]>;
  getContact(accountId: string, contactId: string, visibility: Visibility): Promise<Contact | null>;
  /** Every contact of a scope, sorted by name (export, import diffing). */
  allContacts(accountId: string, scope: WriteScope): Promise<Contact[]>;
  /**
   * Every contact of the account, all sources, a page at a time in a stable order: what the read
   * model is built from. There is no whole-account call: a million contacts are read in pages.
   */
  accountContactsAfter(accountId: string, after: ContactCursor | null, limit: number): Promise<{ contacts: Contact[]; next: ContactCursor | null }>;
  countAccountContacts(accountId: string): Promise<number>;
}

export interface AsyncContactQueries {
  queryContacts(accountId: string, query: ContactQuery): Promise<ContactPage>;
  queryContactRefs(accountId: string, query: ContactQuery): Promise<ContactRef[]>;
}

export interface AsyncContactWrites {
  createContact(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor): Promise<Contact>;
  updateContact(accountId: string, scope: WriteScope, contactId: string, contact: PreparedContact, actor: Actor, expectedRevision?: number): Promise<Contact>;
  deleteContact(accountId: string, scope: WriteScope, contactId: string, actor: Actor, expectedRevision?: number): Promise<void>;
  /** A few ops in one transaction (the admin API's bulk call). */
  applyBatch(accountId: string, scope: WriteScope, ops: BatchOp[], actor: Actor): Promise<BatchResult>;
  /**
   * An import: the ops arrive in chunks (planned and checked elsewhere while earlier chunks are
   * written) and are written in ONE transaction, all or nothing. Replaces openBatch, whose caller
   * held SQLite's write lock between calls: here the engine decides how the transaction is held
   * (SQLite: one write transaction on a connection of its own; PostgreSQL: COPY into the tables
   * under the account's revision lock, so other accounts' writes never wait for it). A chunk
   * source that throws rolls everything back. Takes ONE account revision for the whole import.
   * The first chunk is asked for only once the transaction holds the account's write lock (and
   * no op is written yet), so a chunk source may read the account at that point and plan against
   * exactly what the import changes: no other write to the account can commit in between.
   */
  importContacts(accountId: string, scope: WriteScope, chunks: AsyncIterable<BatchOp[]> | Iterable<BatchOp[]>, actor: Actor): Promise<BatchResult>;
}

/**
 * Changes listed one by one at most (AsyncChangeFeed.changesSince): beyond this a reader reads
 * the account afresh (the read model in its build thread), which costs less than applying them.
 */
export const MAX_FEED_CHANGES = 50_000;

/** What changed in an account after a revision (see AsyncChangeFeed.changesSince). */
export interface RevisionChanges {
  /** The revision to ask from next time: the account's revision as of this read. */
  upTo: number;
  /** Contacts created or updated (their own fields, group memberships or group names), in order of last change. */
  changed: string[];
  deleted: string[];
}

/** What changed in one address book after a revision (see AsyncChangeFeed.bookChangesSince). */
export interface BookChanges {
  /** The book's revision: the newest account revision that touched it (never moved by changes elsewhere). */
  revision: number;
  /** The account's revision as of this read: contacts read to answer must be at least this new. */
  accountRevision: number;
  /** Something changed every entry of the book (a settings change, a big import): report them all. */
  all: boolean;
  /** Contacts that may be in the book and changed (callers check the book: a change row may name several books). */
  changed: string[];
  /** Contacts deleted that were (or may have been) in the book; never left out, also when `all`. */
  deleted: string[];
}

/** The revision a hint carries when its account was deleted: above any real one, so every follower reads the feed (which then says "start over"). */
export const ACCOUNT_GONE_REVISION = Number.MAX_SAFE_INTEGER;

/** A hint that something may have changed; the follower reads the feed to learn what. */
export type ChangeHint =
  | { kind: 'changed'; accountId: string; revision: number }
  /** The notification channel was (re)established: anything may have been missed before it. */
  | { kind: 'connected' };

export interface ChangeWatch {
  /** False while the notification channel is down (readiness reports it). */
  readonly connected: boolean;
  close(): Promise<void>;
}

/**
 * The change feed, keyed by (account, revision). Every write transaction takes its account's
 * next revision FIRST, under a lock on the account's row (writes to one account serialize,
 * others don't wait), and writes its change entry under that revision; so revisions become
 * visible in commit order per account and a reader that keeps "the last revision I saw" can never
 * skip a transaction that commits late (as a reader of a global sequence can: sequence order is
 * not commit order). Notifications are hints only: they can be lost; readers catch up by
 * revision on every (re)connect and on a safety poll (change-follower.ts).
 */
export interface AsyncChangeFeed {
  /**
   * Changes after `afterRevision`. null when the reader must start over with a full read: the
   * revision is older than the oldest change kept, or a change altered every entry (settings, an
   * import of most of the account), or more than `maxChanges` entries changed (counted before
   * any id is read: listing 600,000 ids, and looking each up, held the event loop for seconds),
   * or the account is gone.
   */
  changesSince(accountId: string, afterRevision: number, maxChanges?: number): Promise<RevisionChanges | null>;
  /** How many contacts changed after the revision (a rebuild may be cheaper); null as changesSince, so also above MAX_FEED_CHANGES. */
  changeCount(accountId: string, afterRevision: number): Promise<number | null>;
  /** Forgets change entries older than the cut-off (epoch seconds); returns how many entries were dropped. */
  pruneChangeLog(olderThanEpochSeconds: number): Promise<number>;
  /** Starts watching for change hints (PostgreSQL: LISTEN on its own connection, reconnecting). */
  watchChanges(onHint: (hint: ChangeHint) => void): Promise<ChangeWatch>;
}

/** The change feed of one CardDAV address book (feed-books.ts): what its sync tokens and ctags name. */
export interface AsyncBookFeed {
  /**
   * One book's changes after `afterRevision` (null: only the book's revision, changed and deleted
   * empty). Changes to other books neither appear nor move the revision. null when the account is
   * gone, the revision is past the account's, or changes to this book after it were pruned: the
   * only case in which a reader must start over. A change to every entry is `all`, not null.
   */
  bookChangesSince(accountId: string, book: FeedBook, afterRevision: number | null): Promise<BookChanges | null>;
}

export interface AsyncUserStore {
  createUser(accountId: string, input: Omit<UserCreate, 'password'> & { passwordHash?: string | null }, actor: Actor): Promise<User>;
  getUser(accountId: string, userId: string): Promise<User | null>;
  findUserByLogin(accountId: string, usernameOrEmail: string): Promise<(User & { passwordHash: string | null }) | null>;
  listUsers(accountId: string): Promise<User[]>;
  /** With `revoke`, the user's sessions and tokens end as it says, in the same transaction (a password change). */
  updateUser(accountId: string, userId: string, patch: Omit<UserPatch, 'password'> & { passwordHash?: string | null }, actor: Actor, revoke?: CredentialRevocation): Promise<User>;
  deleteUser(accountId: string, userId: string, actor: Actor): Promise<void>;
  upgradePasswordHash(accountId: string, userId: string, expected: string, next: string): Promise<boolean>;
}

export interface AsyncTokenStore {
  /** kind defaults to 'platform' without an account, else 'api'. */
  createToken(token: { accountId: string | null; userId: string | null; label: string; tokenHash: string; kind?: TokenKind }): Promise<ApiTokenInfo>;
  findTokenByHash(tokenHash: string): Promise<TokenRecord | null>;
  listTokens(accountId: string | null, userId: string | null): Promise<ApiTokenInfo[]>;
  deleteToken(accountId: string | null, tokenId: string): Promise<boolean>;
  touchToken(tokenId: string): Promise<void>;
  countPlatformTokens(): Promise<number>;
}

export interface AsyncGroupStore {
  listGroups(accountId: string): Promise<Group[]>;
  createGroup(accountId: string, name: string, actor: Actor): Promise<Group>;
  renameGroup(accountId: string, groupId: string, name: string, actor: Actor): Promise<Group>;
  deleteGroup(accountId: string, groupId: string, actor: Actor): Promise<void>;
}

export interface AsyncAuditStore {
  listAudit(accountId: string, opts: { limit: number; before?: number; contactId?: string }): Promise<AuditEntry[]>;
}

export interface AsyncCardStore {
  cardNames(accountId: string, contactIds: string[]): Promise<Map<string, StoredCardName>>;
  findContactIdsByCard(accountId: string, by: { name: string } | { uid: string }): Promise<string[]>;
  /**
   * The contacts behind many client-chosen card names (or UIDs) at once (a multiget of an app's
   * own names, a group card's members): value -> contact ids, any book (the caller keeps those of
   * its book). One round trip, not one per value: a 10,000-card multiget on PostgreSQL took a
   * minute one by one.
   */
  findContactIdsByCards(accountId: string, by: 'name' | 'uid', values: string[]): Promise<Map<string, string[]>>;
  /**
   * The vCards apps sent for those of the given contacts that have one (PreparedContact.vcard:
   * written with the contact, gone with it). Read only when an app asks for card bodies.
   */
  storedVcards(accountId: string, contactIds: string[]): Promise<Map<string, string>>;
  /**
   * createContact plus the card's name, in one transaction. Refuses atomically, writing nothing,
   * when a card of the book (the write scope: shared, or the user's personal contacts) already
   * has this name or this UID, whichever instance created it: CardTakenError (a ConflictError;
   * `taken` says which, name checked first, `existing` names the card). See card-taken.ts.
   */
  createContactWithCard(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor, card: CardName): Promise<Contact>;
  /**
   * A group card (GroupCardWrite) and the membership of its group, in one transaction: the card
   * is created (refused like createContactWithCard), updated or deleted at its expected revision
   * (412 otherwise), and every contact of the write scope that gains or loses the group is
   * updated (revision, audit, feed). Returns the card's contact, null after a delete.
   */
  writeGroupCard(accountId: string, scope: WriteScope, write: GroupCardWrite, actor: Actor): Promise<Contact | null>;
}

/** Failed sign-in counters: shared by every instance on the database, so 20 failures anywhere count as 20. */
export interface AsyncSigninFailureStore {
  signinState(...args: Parameters<SigninFailureStore['signinState']>): Promise<ReturnType<SigninFailureStore['signinState']>>;
  recordSigninFailure(...args: Parameters<SigninFailureStore['recordSigninFailure']>): Promise<ReturnType<SigninFailureStore['recordSigninFailure']>>;
  recordSigninSuccess(...args: Parameters<SigninFailureStore['recordSigninSuccess']>): Promise<void>;
}

export interface AsyncSessionStore {
  createSession(record: SessionRecord): Promise<void>;
  findSessionByHash(tokenHash: string): Promise<SessionRecord | null>;
  touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  /** Records a fresh password check on the session (what sensitive changes ask for). */
  markSessionAuthenticated(id: string, at: number): Promise<void>;
  deleteSession(id: string, owner?: { accountId: string; userId: string }): Promise<boolean>;
  listUserSessions(accountId: string, userId: string, now: number): Promise<SessionRecord[]>;
  deleteUserSessions(accountId: string, userId: string): Promise<number>;
}

/**
 * Where a database is, in a form another thread can open it from (the import and export threads
 * open their own store: a connection of the server's cannot cross threads). It may hold a
 * password (a PostgreSQL URL): never log it.
 */
export type StoreLocator = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

export interface AsyncStoreLocation {
  /** The database this store is open on (open-store.ts opens another store from it). */
  readonly locator: StoreLocator;
}

/** Engine housekeeping every implementation has. Backup is NOT here: it is an engine command (see the doc). */
export interface AsyncStoreLifecycle {
  /** Which engine: callers print it, the backup command picks its tool by it. */
  readonly engine: 'sqlite' | 'postgres';
  /** Throws unless the database takes a write now; bounded wait (readiness). */
  probeWrite(): Promise<void>;
  /** After a large write: SQLite copies its WAL into the database file; PostgreSQL refreshes statistics. */
  afterLargeWrite(): Promise<void>;
  close(): Promise<void>;
}

export interface AsyncStore extends AsyncAccountStore, AsyncContactReads, AsyncContactQueries, AsyncContactWrites, AsyncChangeFeed, AsyncBookFeed,
  AsyncUserStore, AsyncTokenStore, AsyncGroupStore, AsyncAuditStore, AsyncCardStore, AsyncSigninFailureStore, AsyncSessionStore,
  AsyncStoreLifecycle, AsyncStoreLocation {}
