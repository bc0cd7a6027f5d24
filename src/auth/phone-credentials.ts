// Phone credentials: one username/password pair per account, used by the XML phonebooks (HTTP
// Basic) and LDAP binds, plus an unguessable path token for phones that cannot send credentials.
// Phones check them thousands of times a day, so they are kept in memory per account (opened,
// with the path token → account map), filled on first use: a right phone credential costs no
// database round trip. Another instance's change reaches this one through the change feed's
// hints (watchChanges): a hint for an account drops its entry, a (re)connect drops them all
// (hints are lost while the channel is down), and while the channel is down nothing is cached.
// While the database itself cannot be read, the credentials as last read answer (phones keep
// working through a PostgreSQL outage).
// Hints reach only the processes of the engine that sends them (SQLite: this process; a second
// server or the CLI on the same file sends none), so a credential that does not match the cached
// one is read again before it is refused (new credentials work at once everywhere), and an entry
// is trusted only CACHE_MS (replaced credentials stop working within that time without a hint).
import { randomBytes } from 'node:crypto';
import { ACCOUNT_GONE_REVISION, type AsyncStore, type ChangeHint, type ChangeWatch } from '../store/async-store.ts';
import type { SecretBox } from './secret-box.ts';
import { sameSecret } from './api-tokens.ts';
import type { Actor } from '../domain/audit.ts';

export interface PhoneCredentials {
  username: string;
  password: string;
  pathToken: string;
}

const CACHE_MS = 10_000;

/** An unguessable path token (192 bits). */
export function newPathToken(): string {
  return randomBytes(24).toString('base64url');
}

type Db = Pick<AsyncStore, 'getPhoneCredentials' | 'setPhoneCredentials' | 'findAccountByPathToken' | 'watchChanges'>;

export class PhoneCredentialService {
  /** Opened credentials of accounts that have some, and when they were read. Accounts without
   *  are not kept: a phone may name any account id, and memory must not grow with them. */
  private readonly byAccount = new Map<string, { creds: PhoneCredentials; readAt: number }>();
  /** Path token → account, for the accounts in byAccount. */
  private readonly byToken = new Map<string, string>();
  /** The credentials as last read from the store, per account: answered only while the store cannot be read. */
  private readonly lastKnown = new Map<string, PhoneCredentials>();
  /** The store read under way per account (see load). */
  private readonly reading = new Map<string, { drops: number; read: Promise<PhoneCredentials | null> }>();
  /** Bumped by every drop: a read that started before a drop must not fill the cache. */
  private drops = 0;
  private watch: ChangeWatch | null = null;
  private watching: Promise<void> | null = null;
  /** The last change under way per account (serial). */
  private readonly changing = new Map<string, Promise<unknown>>();

  constructor(private readonly db: Db, private readonly box: SecretBox, private readonly clock: () => number = Date.now) {}

  /** Sets both; the path token stays (a new one when the account had none). */
  set(accountId: string, username: string, password: string, actor: Actor): Promise<PhoneCredentials> {
    return this.change(accountId, () => ({ username, password }), actor) as Promise<PhoneCredentials>;
  }

  /**
   * Changes the username or password alone (the other one and the path token stay); null when
   * the account has no credentials.
   */
  patch(accountId: string, patch: { username?: string; password?: string }, actor: Actor): Promise<PhoneCredentials | null> {
    return this.change(accountId, (current) => current && { username: patch.username ?? current.username, password: patch.password ?? current.password }, actor);
  }

  /** A new path token; the old one stops working at once (on other instances, at the hint). */
  async rotatePathToken(accountId: string, actor: Actor): Promise<string | null> {
    return this.serial(accountId, async () => {
      const existing = await this.db.getPhoneCredentials(accountId);
      if (!existing) return null;
      const pathToken = newPathToken();
      await this.db.setPhoneCredentials(accountId, { ...existing, pathToken }, actor);
      this.drop(accountId);
      return pathToken;
    });
  }

  clear(accountId: string, actor: Actor): Promise<void> {
    return this.serial(accountId, async () => {
      await this.db.setPhoneCredentials(accountId, null, actor);
      this.drop(accountId);
    });
  }

  /** For the admin API and provisioning (rare): always read from the store. */
  get(accountId: string): Promise<PhoneCredentials | null> {
    return this.load(accountId);
  }

  async verify(accountId: string, username: string, password: string): Promise<boolean> {
    const matches = (c: PhoneCredentials | null) => {
      if (!c) return false;
      const okUser = sameSecret(username, c.username);
      const okPass = sameSecret(password, c.password);
      return okUser && okPass;
    };
    const cached = this.cached(accountId);
    // A mismatch with the cached entry may be a change no hint told us of: read again.
    return cached && matches(cached) ? true : matches(await this.load(accountId));
  }

  async accountForPathToken(pathToken: string): Promise<string | null> {
    const cached = this.byToken.get(pathToken);
    if (cached !== undefined && this.cached(cached)) return cached;
    let accountId: string | null;
    try {
      accountId = await this.db.findAccountByPathToken(pathToken);
    } catch (err) {
      // The database is away: the token as last read (see lastKnown).
      for (const [id, c] of this.lastKnown) if (sameSecret(pathToken, c.pathToken)) return id;
      throw err;
    }
    if (accountId === null) return null;
    // Loading the account's credentials is what files the token (and finds a token rotated meanwhile).
    const c = await this.load(accountId);
    return c && sameSecret(pathToken, c.pathToken) ? accountId : null;
  }

  /** Stops following the change feed (server stop). */
  async close(): Promise<void> {
    const watch = this.watch;
    this.watch = null;
    this.dropAll();
    this.lastKnown.clear();
    await watch?.close();
  }

  /** Read, change, write, one account at a time (see serial). */
  private change(accountId: string, next: (current: PhoneCredentials | null) => { username: string; password: string } | null, actor: Actor): Promise<PhoneCredentials | null> {
    return this.serial(accountId, async () => {
      const stored = await this.db.getPhoneCredentials(accountId);
      const current = stored && { username: stored.username, password: this.box.open(stored.secretSealed), pathToken: stored.pathToken };
      const wanted = next(current);
      if (!wanted) return null;
      const pathToken = stored?.pathToken ?? newPathToken();
      await this.db.setPhoneCredentials(accountId, { username: wanted.username, secretSealed: this.box.seal(wanted.password), pathToken }, actor);
      this.drop(accountId);
      return { ...wanted, pathToken };
    });
  }

  /**
   * The store has no read-and-write call for phone credentials, so this process runs its changes
   * of one account one after another: a rotation and a password change made together must not
   * write back the token the rotation replaced (a leaked token coming back to life).
   */
  private serial<T>(accountId: string, task: () => Promise<T>): Promise<T> {
    const run = (this.changing.get(accountId) ?? Promise.resolve()).then(task, task);
    const tail = run.catch(() => undefined);
    this.changing.set(accountId, tail);
    void tail.then(() => { if (this.changing.get(accountId) === tail) this.changing.delete(accountId); });
    return run;
  }

  /** The cached entry while it may be trusted (the change feed is followed and it is recent). */
  private cached(accountId: string): PhoneCredentials | null {
    const entry = this.byAccount.get(accountId);
    return entry && this.watch?.connected && this.clock() - entry.readAt < CACHE_MS ? entry.creds : null;
  }

  /**
   * One store read per account at a time: 2,000 phones coming back after a restart all miss the
   * cache at once, and each reading the credentials queued them for the database's pool (the
   * phonebook-burst bench on PostgreSQL answered some with 503). A read is shared only with
   * callers that arrive before any drop (a change hint): a later caller must not get what was
   * read before a change.
   */
  private load(accountId: string): Promise<PhoneCredentials | null> {
    const shared = this.reading.get(accountId);
    if (shared && shared.drops === this.drops) return shared.read;
    const read: Promise<PhoneCredentials | null> = this.read(accountId).finally(() => {
      if (this.reading.get(accountId)?.read === read) this.reading.delete(accountId);
    });
    this.reading.set(accountId, { drops: this.drops, read });
    return read;
  }

  /** Reads the account's credentials from the store, and caches them if nothing changed meanwhile. */
  private async read(accountId: string): Promise<PhoneCredentials | null> {
    await this.follow();
    const drops = this.drops;
    const readAt = this.clock();
    let stored;
    try {
      stored = await this.db.getPhoneCredentials(accountId);
    } catch (err) {
      // PostgreSQL lost (issue 19): phones keep being answered from memory, so a bind or a
      // phonebook request is checked against the credentials as last read. Nobody can change
      // them meanwhile through this database; a change that reached it before is dropped by its
      // hint, or at the latest by the reconnect's catch-up.
      const known = this.lastKnown.get(accountId);
      if (known) return known;
      throw err;
    }
    const c = stored ? { username: stored.username, password: this.box.open(stored.secretSealed), pathToken: stored.pathToken } : null;
    if (c) this.lastKnown.set(accountId, c);
    else this.lastKnown.delete(accountId);
    if (drops === this.drops) {
      this.forget(accountId);
      if (c && this.watch?.connected) {
        this.byAccount.set(accountId, { creds: c, readAt });
        this.byToken.set(c.pathToken, accountId);
      }
    }
    return c;
  }

  /** Starts watching the change feed once, on first use (nothing is cached before it is up). */
  private follow(): Promise<void> {
    this.watching ??= this.db.watchChanges((hint) => this.onHint(hint)).then(
      (watch) => { this.watch = watch; },
      () => { this.watching = null; }, // read through, and try again next time
    );
    return this.watching;
  }

  private onHint(hint: ChangeHint): void {
    if (hint.kind === 'connected') this.dropAll();
    else {
      this.drop(hint.accountId);
      if (hint.revision === ACCOUNT_GONE_REVISION) this.lastKnown.delete(hint.accountId);
    }
  }

  private drop(accountId: string): void {
    this.drops++;
    this.forget(accountId);
  }

  private forget(accountId: string): void {
    const c = this.byAccount.get(accountId);
    if (c) this.byToken.delete(c.creds.pathToken);
    this.byAccount.delete(accountId);
  }

  private dropAll(): void {
    this.drops++;
    this.byAccount.clear();
    this.byToken.clear();
  }
}
