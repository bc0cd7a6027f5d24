// The one store interface under the admin API and both phone front ends.
// Every call names its account explicitly; nothing falls back to a default account.
// Only files under store/sqlite/ know SQL.
import type { Account, AccountCreate, AccountPatch, AccountVersion } from '../domain/account-schemas.ts';
import type { Actor, AuditEntry } from '../domain/audit.ts';
import type { Contact, ContactSort, ContactSource } from '../domain/contact-schemas.ts';
import type { Group } from '../domain/group-schemas.ts';
import type { PreparedContact } from '../domain/prepare-contact.ts';
import type { ApiTokenInfo, TokenKind, User, UserCreate, UserPatch } from '../domain/user-schemas.ts';

/** Which entries a reader may see. */
export interface Visibility {
  shared: boolean;
  /** Internal users' entries (front ends pass the account's showUsersInDirectory setting). */
  users: boolean;
  /** Personal contacts of this user, or none. */
  personalOf: string | null;
  /** Only contacts with a number to dial: what phones list (contacts without one are for apps). */
  dialable?: boolean;
}

/** Which contacts a write may touch: the shared list, or one user's personal contacts. */
export type WriteScope = { source: 'shared' } | { source: 'personal'; userId: string };

/**
 * Fields searchable by name; all match case- and accent-insensitively. sortName is what a
 * directory sorts by: the last name, else the first name, else the company.
 */
export type NameField = 'firstName' | 'lastName' | 'company' | 'title' | 'email' | 'displayName' | 'sortName';
export type NumberKindFilter = 'work' | 'mobile' | 'home' | 'fax' | 'extension' | 'any';

/**
 * A search criterion. Front ends translate their own query languages (LDAP filters, phone URL
 * parameters, the admin `q`) into this; the store turns it into indexed SQL.
 *  - name ops: eq, prefix (index range scan), suffix/contains (scan within the account),
 *    gte/lte (ordering on the folded form, for Polycom's range browse), present.
 *  - number ops: eq (the query is normalised with the account region and matched on digits),
 *    suffix (tail match; the caller enforces the minimum digits), present.
 */
export type Criterion =
  | { all: true }
  | { none: true }
  | { and: Criterion[] }
  | { or: Criterion[] }
  | { not: Criterion }
  | { name: NameField; op: 'eq' | 'prefix' | 'suffix' | 'contains' | 'gte' | 'lte' | 'present'; value?: string }
  /** Each word of value prefixes some word of the first/last name or company (the admin "q"). */
  | { words: string }
  | { number: NumberKindFilter; op: 'eq' | 'suffix' | 'contains' | 'present'; value?: string }
  | { group: string }
  | { id: string }
  | { source: ContactSource };

export interface ContactQuery {
  visibility: Visibility;
  where?: Criterion;
  sort?: ContactSort;
  limit?: number;
  offset?: number;
  /**
   * Keyset paging (branch spreadsheet): the `nextAfter` of the previous page, with the same
   * sort; the page starts right after that contact whatever its depth (no OFFSET scan).
   */
  after?: string;
  /** Also count all matches (for paging UIs). Costs a second query. */
  withTotal?: boolean;
}

export interface ContactRef {
  id: string;
  revision: number;
}

export interface ContactPage {
  contacts: Contact[];
  total: number | null;
  /** Opaque key of the page's last contact, for ContactQuery.after; null when the page is not full. */
  nextAfter?: string | null;
}

export type BatchOp =
  | { op: 'create'; contact: PreparedContact }
  | { op: 'update'; id: string; contact: PreparedContact }
  | { op: 'delete'; id: string };

export interface BatchResult {
  created: string[];
  updated: string[];
  deleted: string[];
}

/**
 * A batch written in steps, still ONE transaction: an import writes each slice of rows as soon
 * as it is planned, while the next slice is being validated elsewhere. The write lock is held
 * from openBatch to commit or rollback; nothing is visible to other connections before commit.
 */
export interface OpenBatch {
  apply(ops: BatchOp[]): void;
  /** Bumps the account revision (when anything was written) and commits. */
  commit(): BatchResult;
  /** Undoes everything applied; safe to call after a failed apply. */
  rollback(): void;
}

/** What changed in an account after a point of its change log (see ContactStore.contactChangesSince). */
export interface ContactChanges {
  /** The point to ask from next time. */
  upTo: number;
  /** Contacts created or updated (their own fields or group memberships), in order of last change. */
  changed: string[];
  deleted: string[];
}

export interface TokenRecord extends ApiTokenInfo {
  tokenHash: string;
}

export interface AccountStore {
  createAccount(input: AccountCreate, actor: Actor): Account;
  getAccount(accountId: string): Account | null;
  listAccounts(): Account[];
  updateAccount(accountId: string, patch: AccountPatch, actor: Actor): Account;
  deleteAccount(accountId: string): void;
  /** Cheap: the account's incarnation and revision, or null if it does not exist. */
  getAccountVersion(accountId: string): AccountVersion | null;
  /** Phone credentials (shared by phonebooks and LDAP). The secret is encrypted at rest by the caller. */
  setPhoneCredentials(accountId: string, creds: { username: string; secretSealed: string; pathToken: string } | null, actor: Actor): void;
  getPhoneCredentials(accountId: string): { username: string; secretSealed: string; pathToken: string } | null;
  /** For phones that authenticate by a token in the URL path. */
  findAccountByPathToken(pathToken: string): string | null;
}

/** Credentials ended together with a password change, in the same transaction. */
export interface CredentialRevocation {
  /** The session that made the change survives a user's own change; undefined: all go. */
  keepSessionId?: string;
  /** false: every token of the user goes (except keepTokenId); true: tokens stay. */
  keepTokens: boolean;
  /** The token that made the change, when it survives. */
  keepTokenId?: string;
}

export interface UserStore {
  createUser(accountId: string, input: Omit<UserCreate, 'password'> & { passwordHash?: string | null }, actor: Actor): User;
  getUser(accountId: string, userId: string): User | null;
  findUserByLogin(accountId: string, usernameOrEmail: string): (User & { passwordHash: string | null }) | null;
  listUsers(accountId: string): User[];
  /** With `revoke`, the user's sessions and tokens are ended as it says, atomically with the update. */
  updateUser(accountId: string, userId: string, patch: Omit<UserPatch, 'password'> & { passwordHash?: string | null }, actor: Actor, revoke?: CredentialRevocation): User;
  deleteUser(accountId: string, userId: string, actor: Actor): void;
  /** kind defaults to 'platform' without an account, else 'api' (the route always names it). */
  createToken(token: { accountId: string | null; userId: string | null; label: string; tokenHash: string; kind?: TokenKind }): ApiTokenInfo;
  findTokenByHash(tokenHash: string): TokenRecord | null;
  listTokens(accountId: string | null, userId: string | null): ApiTokenInfo[];
  /** Returns false when no such token exists in that account. */
  deleteToken(accountId: string | null, tokenId: string): boolean;
  touchToken(tokenId: string): void;
  countPlatformTokens(): number;
}

export interface ContactStore {
  queryContacts(accountId: string, query: ContactQuery): ContactPage;
  /** The same page as queryContacts, as ids and revisions only: for callers that cache contacts by revision. */
  queryContactRefs(accountId: string, query: ContactQuery): ContactRef[];
  /** Contacts by id (any visibility: callers got the ids from a visibility-checked query). Order follows ids. */
  getContactsByIds(accountId: string, ids: string[]): Contact[];
  getContact(accountId: string, contactId: string, visibility: Visibility): Contact | null;
  createContact(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor): Contact;
  /** expectedRevision: when given and stale, throws PreconditionFailedError and changes nothing. */
  updateContact(accountId: string, scope: WriteScope, contactId: string, contact: PreparedContact, actor: Actor, expectedRevision?: number): Contact;
  deleteContact(accountId: string, scope: WriteScope, contactId: string, actor: Actor, expectedRevision?: number): void;
  /** All ops in one transaction: either every op is applied or none. */
  applyBatch(accountId: string, scope: WriteScope, ops: BatchOp[], actor: Actor): BatchResult;
  /** The same as applyBatch, in steps (see OpenBatch). Reads on this connection see the batch. */
  openBatch(accountId: string, scope: WriteScope, actor: Actor): OpenBatch;
  /** Every contact of a scope, sorted by name (export, import diffing). */
  allContacts(accountId: string, scope: WriteScope): Contact[];
  /** Every contact of the account, all sources (shared, personal, users), in insertion order
   *  (the store's tie-break): what the in-memory directory (src/directory/) is built from. */
  allAccountContacts(accountId: string): Contact[];
  /**
   * The same contacts a page at a time (for a build that yields between pages): those after
   * position `after` (0 to start), and the position to continue from (null after the last page).
   */
  accountContactsAfter(accountId: string, after: number, limit: number): { contacts: Contact[]; next: number | null };
  /** How many contacts the account has, all sources. */
  countAccountContacts(accountId: string): number;
  /**
   * What changed in an account after a point of its change log: shared, personal and
   * internal-user entries, group memberships and group names included. null when `after` is
   * older than the oldest change kept, or when a settings change altered every entry: the
   * caller must start over with a full read.
   */
  contactChangesSince(accountId: string, after: number): ContactChanges | null;
  /**
   * How many change rows the account has after `after` (a contact changed twice counts twice);
   * null when contactChangesSince would answer null. Cheap: lets a caller that would rebuild
   * anyway skip reading a large feed.
   */
  contactChangeCount(accountId: string, after: number): number | null;
  /** The newest point of the account's change log (0 when none). */
  contactChangePoint(accountId: string): number;
  /** Forgets changes older than the cut-off (epoch seconds); returns how many were dropped. */
  pruneChangeLog(olderThanEpochSeconds: number): number;
}

/** A counter of the sign-in limiter: failures leaked to the time it was read, its latest
 *  failure and the moment it starts leaking (the end of the wait that failure imposed), epoch ms. */
export interface SigninCount { failures: number; lastAt: number; leakFrom: number }

/**
 * How a store records a failure, handed in by the limiter (src/auth/signin-wait.ts owns the
 * policy; no engine has one of its own): one failure leaks away per leakMs, from the end of the
 * wait waitMs(failures, free) that the counter's latest failure imposed.
 */
export interface SigninFailurePolicy {
  leakMs: number;
  waitMs(failures: number, free: number): number;
}

/**
 * The sign-in limiter's shared state, seen by every process (and, later, every instance) on the
 * database. Counters count DISTINCT members (keyed hashes of wrong secrets, or of logins): a
 * member already counted adds nothing while its counter lives. A counter leaks one failure per
 * leakMs from its leakFrom; when it reaches zero its members are forgotten with it. Plus when
 * each login last signed in from each source, so sources known to work keep working during a
 * guessing run.
 */
export interface SigninFailureStore {
  /** The counters of these keys that have any, leaked to nowMs, and when `login` last signed in
   *  from `source` (epoch ms; null if never, or forgotten). */
  signinState(keys: string[], source: string, login: string, nowMs: number, leakMs: number): { counts: Map<string, SigninCount>; knownAt: number | null };
  /** Adds each member to its key's counter unless already counted there (`free`: the counter's
   *  allowance, for policy.waitMs); returns every counter afterwards and whether it grew. */
  recordSigninFailure(entries: { key: string; member: string; free: number }[], nowMs: number, policy: SigninFailurePolicy): (SigninCount & { key: string; added: boolean })[];
  /** `login` signed in from `source` at nowMs; sources last seen before forgetBeforeMs are dropped now and then. */
  recordSigninSuccess(source: string, login: string, nowMs: number, forgetBeforeMs: number): void;
}

/** The resource name (last path segment) and UID a CardDAV client chose for a card it created. */
export interface CardName {
  name: string;
  uid: string;
}

/**
 * A group card's write (CardDAV: vCard 4 KIND:group, Apple's X-ADDRESSBOOKSERVER-KIND:group):
 * the card itself is kept as a contact without a number (apps list it, phones do not), and the
 * dialbook group it stands for gets exactly the members the card names.
 */
export interface GroupCardWrite {
  /** Create the card under its name, update it at its revision, or delete it. */
  target: { create: CardName } | { update: string; expectedRevision: number } | { delete: string; expectedRevision: number };
  /** The card's own contact (with its vcard); absent for a delete. */
  card?: PreparedContact;
  /** The group the card stands for now (null: none, as after a delete). */
  group: string | null;
  /** The group it stood for before (a rename or a delete lets its members go); null: none. */
  previous: string | null;
  /** Contact ids the card names as members; those outside the write scope are left alone. */
  members: string[];
}

/** A stored card name and the scope the card was created in. */
export interface StoredCardName extends CardName {
  /** The owner of a personal card; null for a shared one. */
  ownerId: string | null;
}

/** CardDAV's names for contacts created over CardDAV; every other contact uses its id for both. */
export interface CardStore {
  /** Names of those of the given contacts that have one (deleted contacts' names are kept). */
  cardNames(accountId: string, contactIds: string[]): Map<string, StoredCardName>;
  /** Ids of the contacts whose card has this name, or this UID (callers check visibility). */
  findContactIdsByCard(accountId: string, by: { name: string } | { uid: string }): string[];
  findContactIdsByCards(accountId: string, by: 'name' | 'uid', values: string[]): Map<string, string[]>;
  /** The vCards apps sent for those of the given contacts that have one (PreparedContact.vcard). */
  storedVcards(accountId: string, contactIds: string[]): Map<string, string>;
  /** createContact plus the card's name, in one transaction (the same write, audit and revision bump). */
  createContactWithCard(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor, card: CardName): Contact;
  /** A group card and its group's members in one transaction (GroupCardWrite); the card's contact, null after a delete. */
  writeGroupCard(accountId: string, scope: WriteScope, write: GroupCardWrite, actor: Actor): Contact | null;
}

export interface GroupStore {
  listGroups(accountId: string): Group[];
  createGroup(accountId: string, name: string, actor: Actor): Group;
  renameGroup(accountId: string, groupId: string, name: string, actor: Actor): Group;
  deleteGroup(accountId: string, groupId: string, actor: Actor): void;
}

export interface AuditStore {
  listAudit(accountId: string, opts: { limit: number; before?: number; contactId?: string }): AuditEntry[];
}

/** A portal session as stored: the cookie value itself is never stored, only its hash. */
export interface SessionRecord {
  /** Public id (shown in session lists, used to end one); not the cookie value. */
  id: string;
  tokenHash: string;
  /** null for the platform admin */
  accountId: string | null;
  userId: string | null;
  /** Epoch milliseconds. */
  createdAt: number;
  /** When the user last proved their password in this session (sign-in or re-authentication). */
  authenticatedAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string;
  ip: string;
}

export interface SessionRecordStore {
  /** Also drops sessions that expired before `record.createdAt`. */
  createSession(record: SessionRecord): void;
  findSessionByHash(tokenHash: string): SessionRecord | null;
  touchSession(id: string, lastSeenAt: number, expiresAt: number): void;
  /** The user proved their password again in this session (a sensitive action asked for it). */
  markSessionAuthenticated(id: string, at: number): void;
  /** Ends one session; with a user given, only if it is that user's. False when none matched. */
  deleteSession(id: string, owner?: { accountId: string; userId: string }): boolean;
  /** A user's unexpired sessions, newest first. */
  listUserSessions(accountId: string, userId: string, now: number): SessionRecord[];
  /** Ends every session of a user; returns how many. */
  deleteUserSessions(accountId: string, userId: string): number;
}

export interface Store extends AccountStore, UserStore, ContactStore, CardStore, GroupStore, AuditStore, SigninFailureStore, SessionRecordStore {
  /**
   * Replaces a user's password hash with a stronger hash of the same password, only if it is still
   * `expected` (a password changed meanwhile wins). No audit entry: nothing a person changed.
   */
  upgradePasswordHash(accountId: string, userId: string, expected: string, next: string): boolean;
  /** Throws unless the database takes a write now (locked, read-only, disk full...); waits at most ~200 ms. */
  probeWrite(): void;
  /** SQLite online backup to a file (safe while serving). */
  backup(toFile: string): Promise<void>;
  /**
   * Copies committed writes from the write-ahead log into the database file. 'passive' (the
   * default): as far as readers allow, without waiting. 'truncate': waits (busy_timeout) for
   * readers of older pages to finish, copies everything and empties the log file; returns false
   * when a reader kept it from finishing.
   */
  checkpoint(mode?: 'passive' | 'truncate'): boolean;
  close(): void;
}
