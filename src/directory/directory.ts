// The directory read model every phone read is served from: one AccountDirectory per account,
// built from the store a page at a time (account-build.ts), kept current by following the change
// feed by revision (ChangeFollower over db.watchChanges: every hint, every (re)connect, and a
// safety poll of the accounts in use not checked for revisionCheckMs), and dropped after
// idleEvictMinutes unused. On PostgreSQL a write on another instance arrives as a hint; on SQLite
// a write by another process (the import thread) is found by the poll, or by the next search
// once revisionCheckMs has passed. Same call shapes as the store's queryContacts /
// queryContactRefs / getContactsByIds, awaited.
//
// There is no search by SQL for phones (issue 24: at a million contacts one took seconds). While
// a large account is rebuilt (after an import changed most of it, a settings change, a pruned
// feed), its previous model answers, a few seconds behind the change; a small account's rebuild
// (milliseconds) is awaited. An account with no model yet is built by its first search, which
// waits for it; a large one is read, folded and sorted in the build thread (build-thread.ts), so
// this thread's searches of every account go on meanwhile.
import type { Account, AccountVersion } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import type { AsyncChangeFeed, AsyncStore, ChangeHint, RevisionChanges } from '../store/async-store.ts';
import { ChangeFollower, type FollowedChange } from '../store/change-follower.ts';
import type { ContactPage, ContactQuery, ContactRef, Visibility } from '../store/store.ts';
import type { AccountDirectory } from './account-directory.ts';
import { buildAccountDirectory } from './account-build.ts';

/** What the read model reads from the store. */
export type DirectoryStore = Pick<AsyncStore, 'getAccount' | 'getAccountVersion' | 'listAccounts' | 'accountContactsAfter' | 'getContactsByIds' | 'locator'> & AsyncChangeFeed;

export interface DirectoryOptions {
  /** Drop an account's read model when no search used it for this long. */
  idleEvictMinutes: number;
  /** Accounts with at least this many contacts are built in the build thread, the previous model answering a rebuild (default 2,000). */
  backgroundBuildMin?: number;
  /** How stale an account may be before its feed is read again (another process's writes, a lost hint). */
  revisionCheckMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** A background build or feed read failed (the next search or poll tries again). */
  onError?: (err: unknown) => void;
}

interface Slot {
  dir: AccountDirectory;
  /** When the feed was last read for it (-Infinity: a hint says it changed). */
  checkedAt: number;
  usedAt: number;
  /** Hints so far: a feed read that started before one does not count as a check. */
  hints: number;
}

interface BuildJob {
  /** When a search last asked for the account (the new slot's last use). */
  wantedAt: number;
  /** A hint arrived during the build: the new model is checked at its first search. */
  hinted: boolean;
  /** 'built', or 'no account'; 'abandoned' when superseded or closed. Rejects if the store failed. */
  done: Promise<'built' | 'no account' | 'abandoned'>;
  /** true once the build went to the build thread; false when it ended without (never rejects). */
  big: Promise<boolean>;
}

/** Reads of one search (check, build, check again) before it takes what there is. */
const MAX_ROUNDS = 4;
/**
 * The safety poll reads the feed of accounts searched within this time only: polling every
 * loaded account every revisionCheckMs costs two queries each (8,000 a second for 1,000 idle
 * accounts on SQLite), and an idle model is checked by its next search anyway.
 */
const POLL_ACTIVE_MS = 60_000;

export class Directory {
  private readonly slots = new Map<string, Slot>();
  /** Accounts being built, and when each build was last wanted. */
  private readonly building = new Map<string, BuildJob>();
  /** Full builds and in-place updates so far (metrics, and tests that check which one ran). */
  readonly counts = { builds: 0, updates: 0, backgroundBuilds: 0 };
  private readonly checkMs: number;
  private readonly idleMs: number;
  private readonly backgroundMin: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly follower: ChangeFollower;
  private readonly started: Promise<void>;
  private readonly sweeper: NodeJS.Timeout;
  private readonly poller: NodeJS.Timeout;
  private closed = false;
  private readonly listeners = new Set<(accountId: string, first: boolean) => void>();

  constructor(private readonly db: DirectoryStore, opts: DirectoryOptions) {
    this.backgroundMin = opts.backgroundBuildMin ?? 2000;
    this.checkMs = opts.revisionCheckMs ?? 250;
    this.idleMs = opts.idleEvictMinutes * 60_000;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => undefined);
    // The feed is keyed by (account, revision): an account deleted and created again under its id
    // counts its revisions afresh, so the old model's revision may have no entry after it. Each
    // feed read therefore also compares the incarnation, and a new one is a restart.
    const feed: AsyncChangeFeed = {
      changesSince: (accountId, after) => this.changesOfModel(accountId, after),
      changeCount: (accountId, after) => db.changeCount(accountId, after),
      pruneChangeLog: (before) => db.pruneChangeLog(before),
      watchChanges: (onHint) => db.watchChanges(onHint),
    };
    this.follower = new ChangeFollower(feed, {
      from: new Map(),
      onChange: (change) => this.deliver(change),
      onHint: (hint) => this.hinted(hint),
      onError: this.onError,
    });
    this.started = this.follower.start().catch((err) => this.onError(err));
    // unref: neither timer may keep the process alive
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(this.idleMs, 60_000)).unref();
    // The safety poll goes by the same clock as searches: an account checked within
    // revisionCheckMs is not read again (a test's hand-driven clock decides when it is due).
    this.poller = setInterval(() => this.pollStale(), Math.max(this.checkMs, 100)).unref();
  }

  /** Whether the change channel is up (PostgreSQL's LISTEN connection; SQLite: always) and caught up since it (re)connected: readiness reports it. */
  get listening(): boolean {
    return this.follower.current;
  }

  /**
   * seen: the account as the caller read it (its incarnation and revision). A caller that keys a
   * cache or an ETag on that version must get entries at least that new, so a model older than
   * it reads the feed at once, however recently it was checked, or waits for its rebuild.
   */
  async queryContacts(accountId: string, q: ContactQuery, seen?: AccountVersion): Promise<ContactPage> {
    const dir = await this.current(accountId, seen);
    if (!dir) return { contacts: [], total: q.withTotal ? 0 : null };
    const page = dir.query(q);
    return { contacts: page.entries.map((e) => e.contact), total: page.total };
  }

  async queryContactRefs(accountId: string, q: ContactQuery, seen?: AccountVersion): Promise<ContactRef[]> {
    const dir = await this.current(accountId, seen);
    if (!dir) return [];
    return dir.query(q).entries.map((e) => ({ id: e.id, revision: e.revision }));
  }

  /** The names of the account's groups that hold a contact the visibility shows (seen: as for queryContacts). */
  async groupNames(accountId: string, visibility: Visibility, seen?: AccountVersion): Promise<string[]> {
    const dir = await this.current(accountId, seen);
    return dir ? dir.groupNames(visibility) : [];
  }

  /**
   * The account as its read model holds it (built with it, rebuilt when its settings change):
   * what phone binds, searches and phonebooks check, so they cost no database round trip and go
   * on working while the database is away. null when the account does not exist.
   */
  async account(accountId: string, seen?: AccountVersion): Promise<Account | null> {
    const dir = await this.current(accountId, seen);
    // the revision the model is current to (ETags and caches key on it), not the one it was built at
    return dir ? { ...dir.account, revision: dir.revision } : null;
  }

  /** Contacts by id, in the order of ids (unknown ids skipped), as the last query saw them
   *  (seen: as for queryContacts, so that both read the same model). */
  async getContactsByIds(accountId: string, ids: readonly string[], seen?: AccountVersion): Promise<Contact[]> {
    const slot = this.slots.get(accountId);
    const dir = slot && !isBehind(slot.dir, seen) ? slot.dir : await this.current(accountId, seen);
    if (!dir) return [];
    const out: Contact[] = [];
    for (const id of ids) {
      const e = dir.entryById(id);
      if (e) out.push(e.contact);
    }
    return out;
  }

  /** A write in this process: the next read of the account reads the feed first. */
  changed(accountId: string): void {
    const slot = this.slots.get(accountId);
    if (slot) {
      slot.checkedAt = -Infinity;
      slot.hints++;
    }
    const job = this.building.get(accountId);
    if (job) job.hinted = true;
  }

  /**
   * Calls the listener after an account's model was built or brought up to a new revision (the
   * phonebooks pre-render their whole-directory answers then); first: the account had no model
   * in memory before. Listeners must not throw.
   */
  onUpdated(listener: (accountId: string, first: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private updated(accountId: string, first: boolean): void {
    for (const l of this.listeners) l(accountId, first);
  }

  /** Builds every account's model (at start, so that readiness can wait for it); one at a time. */
  async warmAll(): Promise<void> {
    for (const account of await this.db.listAccounts()) {
      if (this.closed) return;
      await this.current(account.id);
    }
  }

  /** Entries of an account's model held in memory, or null when none is held. */
  size(accountId: string): number | null {
    return this.slots.get(accountId)?.dir.size ?? null;
  }

  /** Accounts held in memory and their entry counts (for metrics and tests). */
  loaded(): Record<string, number> {
    return Object.fromEntries([...this.slots].map(([id, s]) => [id, s.dir.size]));
  }

  evictIdle(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [id, slot] of this.slots) {
      if (slot.usedAt >= cutoff || this.building.has(id)) continue;
      this.slots.delete(id);
      this.follower.unfollow(id);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    clearInterval(this.poller);
    this.slots.clear();
    this.building.clear();
    await this.started;
    await this.follower.stop().catch((err) => this.onError(err));
  }

  /** Resolves when the account's build (if one runs) is done: for tests and warm-ups. */
  async settled(accountId: string): Promise<void> {
    for (let job = this.building.get(accountId); job; job = this.building.get(accountId)) await job.done.catch(() => undefined);
  }

  /** The account's read model, current to within checkMs (or to `seen`); null when the account does not exist. */
  private async current(accountId: string, seen?: AccountVersion): Promise<AccountDirectory | null> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.now();
      let slot = this.slots.get(accountId);
      let job = this.building.get(accountId);
      // while the account is rebuilt its feed is not followed: the new model brings it current
      if (slot && !job && (isBehind(slot.dir, seen) || now - slot.checkedAt >= this.checkMs)) {
        try {
          await this.check(accountId, slot);
        } catch (err) {
          // The database is away (issue 19: phones keep being answered from memory): the model
          // as it stands answers, and the feed is tried again after checkMs. A caller that keys
          // on a newer version than the model cannot be answered from it.
          if (isBehind(slot.dir, seen)) throw err;
          this.onError(err);
          slot.checkedAt = now;
        }
        slot = this.slots.get(accountId);
        job = this.building.get(accountId);
      }
      if (job) job.wantedAt = now;
      // A large account's previous model answers its rebuild, unless the caller keys on a newer
      // version. So does a small one whose account has grown large (an import of 1,000,000 rows
      // into an account of 10): its rebuild goes to the build thread, and waiting for it would
      // hold phones for as long as a cold build. A small rebuild (milliseconds) is waited for.
      if (slot && !isBehind(slot.dir, seen) && (!job || slot.dir.size >= this.backgroundMin || await job.big)) {
        slot.usedAt = now;
        return slot.dir;
      }
      const outcome = await (job ?? this.startBuild(accountId)).done;
      if (outcome === 'no account') return null;
    }
    return this.slots.get(accountId)?.dir ?? null;
  }

  /** Reads the account's feed (shared with reads already under way) and applies it. */
  private async check(accountId: string, slot: Slot): Promise<void> {
    // Not followed and not being built: a rebuild failed or gave up (a store error, an account
    // re-created again and again under it). Its feed position is lost: read the account afresh.
    if (this.follower.position(accountId) === undefined && !this.building.has(accountId)) {
      this.startBuild(accountId);
      return;
    }
    const hints = slot.hints;
    const at = this.now();
    await this.follower.catchUpAccount(accountId);
    if (slot.hints === hints && slot.checkedAt < at) slot.checkedAt = at;
  }

  /** The safety poll: every model in use not checked for checkMs reads its feed. */
  private pollStale(): void {
    const now = this.now();
    for (const [accountId, slot] of this.slots) {
      if (this.building.has(accountId) || now - slot.checkedAt < this.checkMs || now - slot.usedAt > POLL_ACTIVE_MS) continue;
      this.check(accountId, slot).catch(this.onError);
    }
  }

  /** The feed after the model's revision; null (read afresh) when the account is not the model's incarnation any more. */
  private async changesOfModel(accountId: string, after: number): Promise<RevisionChanges | null> {
    const changes = await this.db.changesSince(accountId, after);
    if (changes === null) return null;
    // read after the feed: a re-creation before the feed read shows here
    const version = await this.db.getAccountVersion(accountId);
    const slot = this.slots.get(accountId);
    if (version === null || (slot && slot.dir.incarnation !== version.incarnation)) return null;
    return changes;
  }

  private hinted(hint: ChangeHint): void {
    if (hint.kind === 'changed') return this.changed(hint.accountId);
    // the channel (re)connected: anything may have been missed while it was down
    for (const accountId of this.slots.keys()) this.changed(accountId);
  }

  /** What the follower found in an account's feed, applied to its model. */
  private async deliver(change: FollowedChange): Promise<void> {
    const { accountId } = change;
    const slot = this.slots.get(accountId);
    if (!slot) return;
    if (change.kind === 'restart') return this.restart(accountId, slot);
    const { changed, deleted, upTo } = change.changes;
    const dir = slot.dir;
    // most of the account changed (many writes since the last read): read it afresh instead
    if (changed.length + deleted.length > Math.max(1000, dir.size / 2)) return void this.startBuild(accountId);
    const contacts = await this.db.getContactsByIds(accountId, changed);
    if (this.slots.get(accountId)?.dir !== dir) return; // rebuilt or dropped meanwhile
    // a contact changed and then deleted after the feed was read is gone (its deletion comes next time)
    const found = new Set(contacts.map((c) => c.id));
    dir.apply(contacts, [...deleted, ...changed.filter((id) => !found.has(id))]);
    dir.revision = upTo;
    this.counts.updates++;
    this.updated(accountId, false);
  }

  /** The feed cannot say what changed (settings, region, a large import, pruned, account gone). */
  private async restart(accountId: string, slot: Slot): Promise<void> {
    const version = await this.db.getAccountVersion(accountId);
    if (this.slots.get(accountId) !== slot) return;
    if (version === null || version.incarnation !== slot.dir.incarnation) {
      // deleted (and maybe created again): nothing of the old model says anything about the account now
      this.slots.delete(accountId);
      return;
    }
    this.startBuild(accountId);
  }

  /** Starts a build of the account (or returns the one running); the feed is followed again from the new model. */
  private startBuild(accountId: string): BuildJob {
    const running = this.building.get(accountId);
    if (running) return running;
    this.follower.unfollow(accountId);
    let big!: (value: boolean) => void;
    const job: BuildJob = { wantedAt: this.now(), hinted: false, done: Promise.resolve('abandoned' as const), big: new Promise((r) => { big = r; }) };
    const started = this.now();
    job.done = this.build(accountId, job, started, () => big(true)).finally(() => {
      big(false);
      if (this.building.get(accountId) === job) this.building.delete(accountId);
    });
    job.done.catch(this.onError);
    this.building.set(accountId, job);
    return job;
  }

  private async build(accountId: string, job: BuildJob, started: number, onBig: () => void): Promise<'built' | 'no account' | 'abandoned'> {
    const wanted = () => !this.closed && this.building.get(accountId) === job;
    const knownSize = this.slots.get(accountId)?.dir.size;
    const result = await buildAccountDirectory(this.db, accountId, { backgroundMin: this.backgroundMin, wanted, knownSize, onBig });
    if (!wanted()) return 'abandoned';
    if (result === 'no account') {
      this.slots.delete(accountId);
      return result;
    }
    if (result === 'abandoned') return result;
    this.counts.builds++;
    if (result.big) this.counts.backgroundBuilds++;
    // checked as of the build's start: a long build is checked at its first search
    const first = !this.slots.has(accountId);
    this.slots.set(accountId, { dir: result.dir, checkedAt: job.hinted ? -Infinity : started, usedAt: job.wantedAt, hints: 0 });
    this.follower.follow(accountId, result.dir.revision);
    this.updated(accountId, first);
    return 'built';
  }
}

/** Whether a model is older than the version a caller read (another incarnation, or a lower revision). */
function isBehind(dir: AccountDirectory, seen: AccountVersion | undefined): boolean {
  return seen !== undefined && (seen.incarnation !== dir.incarnation || seen.revision > dir.revision);
}
