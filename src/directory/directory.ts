// The directory read model every phone read is served from: one AccountDirectory per account,
// built from the store on first use, kept current by the account revision (checked at most every
// revisionCheckMs per account, so another process's writes show within that time; writes in this
// process mark the account for a check at once), and dropped after idleEvictMinutes unused.
// Same call shapes as the store's queryContacts / queryContactRefs / getContactsByIds.
//
// A large account is (re)built in the background, a page of contacts per turn of the event loop,
// then sorted a slice per turn (sliced-sort.ts): building 100,000 contacts at once held the
// event loop for 3-4 s (after a restart, or after a large import), and every phone waited. While
// a rebuild runs, the previous model answers (a few seconds behind the import that caused it);
// only an account with no model yet (a first build) is answered by the store itself meanwhile
// (same answers, tested by directory-contract.test.ts; at a million contacts a search by SQL took
// seconds).
import type { AccountVersion } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import type { ContactPage, ContactQuery, ContactRef, Store } from '../store/store.ts';
import { AccountDirectory } from './account-directory.ts';
import { toEntry, type DirEntry } from './directory-entry.ts';

export interface DirectoryOptions {
  /** Drop an account's read model when no search used it for this long. */
  idleEvictMinutes: number;
  /** Accounts with at least this many contacts are built in the background (default 2,000). */
  backgroundBuildMin?: number;
  /** How stale an account may be before its revision is read again (another process's writes). */
  revisionCheckMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Slot {
  dir: AccountDirectory;
  checkedAt: number;
  usedAt: number;
}

interface BuildJob {
  /** When a search last asked for the account (the new slot's last use). */
  wantedAt: number;
  done: Promise<void>;
}

/** What current() answers while a large account is being built: ask the store. */
const STORE = Symbol('store');

/** Contacts read per turn of the event loop by a background build (about 15-20 ms of work). */
const BUILD_PAGE = 250;

export class Directory {
  private readonly slots = new Map<string, Slot>();
  /** Accounts being built in the background, and when each build was last wanted. */
  private readonly building = new Map<string, BuildJob>();
  /** Full builds and in-place updates so far (metrics, and tests that check which one ran). */
  readonly counts = { builds: 0, updates: 0, backgroundBuilds: 0 };
  private readonly checkMs: number;
  private readonly idleMs: number;
  private readonly backgroundMin: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly store: Store, opts: DirectoryOptions) {
    this.backgroundMin = opts.backgroundBuildMin ?? 2000;
    this.checkMs = opts.revisionCheckMs ?? 250;
    this.idleMs = opts.idleEvictMinutes * 60_000;
    this.now = opts.now ?? Date.now;
    // unref: an idle sweep must never keep the process alive
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(this.idleMs, 60_000)).unref();
  }

  /**
   * seen: the account as the caller read it (its incarnation and revision). A caller that keys a
   * cache or an ETag on that version must get entries at least that new, so a model older than
   * it is checked against the store at once, however recently it was checked.
   */
  queryContacts(accountId: string, q: ContactQuery, seen?: AccountVersion): ContactPage {
    const dir = this.current(accountId, seen);
    if (dir === STORE) return this.store.queryContacts(accountId, q);
    if (!dir) return { contacts: [], total: q.withTotal ? 0 : null };
    const page = dir.query(q);
    return { contacts: page.entries.map((e) => e.contact), total: page.total };
  }

  queryContactRefs(accountId: string, q: ContactQuery, seen?: AccountVersion): ContactRef[] {
    const dir = this.current(accountId, seen);
    if (dir === STORE) return this.store.queryContactRefs(accountId, q);
    if (!dir) return [];
    return dir.query(q).entries.map((e) => ({ id: e.contact.id, revision: e.contact.revision }));
  }

  /** Contacts by id, in the order of ids (unknown ids skipped), as the last query saw them
   *  (seen: as for queryContacts, so that both read the same model or both the store). */
  getContactsByIds(accountId: string, ids: readonly string[], seen?: AccountVersion): Contact[] {
    const slot = this.slots.get(accountId);
    const dir = slot && !isBehind(slot.dir, seen) ? slot.dir : this.current(accountId, seen);
    if (dir === STORE) return this.store.getContactsByIds(accountId, [...ids]);
    if (!dir) return [];
    const out: Contact[] = [];
    for (const id of ids) {
      const e = dir.byId.get(id);
      if (e) out.push(e.contact);
    }
    return out;
  }

  /** A write in this process: the next read of the account checks its revision first. */
  changed(accountId: string): void {
    const slot = this.slots.get(accountId);
    if (slot) slot.checkedAt = -Infinity;
  }

  /** Accounts held in memory and their entry counts (for metrics and tests). */
  loaded(): Record<string, number> {
    return Object.fromEntries([...this.slots].map(([id, s]) => [id, s.dir.size]));
  }

  evictIdle(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [id, slot] of this.slots) if (slot.usedAt < cutoff) this.slots.delete(id);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.slots.clear();
    this.building.clear();
  }

  /** Resolves when the account's background build (if one runs) is done: for tests and warm-ups. */
  async settled(accountId: string): Promise<void> {
    await this.building.get(accountId)?.done;
  }

  /**
   * The account's read model, current to within checkMs. While a large account is being rebuilt
   * in the background (after an import changed most of it, a settings change, a pruned feed), its
   * previous model keeps answering: a search of a big account answered by SQL took seconds and
   * held every phone. STORE (ask the store meanwhile) only for a first build, or for a caller
   * that keys on a newer version than the previous model (`seen`: phonebooks and their ETags).
   * null when the account does not exist.
   */
  private current(accountId: string, seen?: AccountVersion): AccountDirectory | typeof STORE | null {
    const now = this.now();
    const pending = this.building.get(accountId);
    let slot = this.slots.get(accountId);
    if (pending) {
      pending.wantedAt = now;
      const version = this.store.getAccountVersion(accountId);
      if (version === null) {
        this.building.delete(accountId); // deleted: the build stops at its next page
        this.slots.delete(accountId);
        return null;
      }
      if (slot && slot.dir.incarnation === version.incarnation && !isBehind(slot.dir, seen)) {
        slot.usedAt = now;
        return slot.dir;
      }
      return STORE;
    }
    if (slot && (isBehind(slot.dir, seen) || now - slot.checkedAt >= this.checkMs)) {
      const version = this.store.getAccountVersion(accountId);
      if (version === null) {
        this.slots.delete(accountId);
        return null;
      }
      if (version.incarnation !== slot.dir.incarnation) {
        // deleted and created again (here or in another process): nothing of the old model,
        // its change point included, says anything about the new account
        this.slots.delete(accountId);
        slot = undefined;
      } else if (version.revision !== slot.dir.revision) {
        const dir = this.refresh(accountId, slot.dir, version.revision);
        if (dir === STORE) {
          // rebuilding in the background: the previous model answers meanwhile (see above)
          slot.checkedAt = now;
          slot.usedAt = now;
          return isBehind(slot.dir, seen) ? STORE : slot.dir;
        }
        slot.dir = dir ?? slot.dir;
      }
      if (slot) slot.checkedAt = now;
    }
    if (!slot) {
      if (this.store.countAccountContacts(accountId) >= this.backgroundMin) return this.buildInBackground(accountId);
      const dir = this.build(accountId);
      if (!dir) return null;
      slot = { dir, checkedAt: now, usedAt: now };
      this.slots.set(accountId, slot);
    }
    slot.usedAt = now;
    return slot.dir;
  }

  /** Starts a background build of the account. A previous model of the same incarnation stays
   *  and answers until the new one replaces it; one of another incarnation goes. */
  private buildInBackground(accountId: string): typeof STORE | null {
    const version = this.store.getAccountVersion(accountId);
    if (version === null) return null;
    if (this.slots.get(accountId)?.dir.incarnation !== version.incarnation) this.slots.delete(accountId);
    const job: BuildJob = { wantedAt: this.now(), done: Promise.resolve() };
    job.done = this.backgroundBuild(accountId, job).catch(() => undefined).finally(() => {
      if (this.building.get(accountId) === job) this.building.delete(accountId);
    });
    this.building.set(accountId, job);
    return STORE;
  }

  private async backgroundBuild(accountId: string, job: BuildJob): Promise<void> {
    const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    await yieldTurn(); // never inside the search that asked for it
    // Revision and change point first, as in build(): writes during the read are applied after.
    const version = this.store.getAccountVersion(accountId);
    const point = this.store.contactChangePoint(accountId);
    const account = this.store.getAccount(accountId);
    if (version === null || !account || account.incarnation !== version.incarnation) return;
    // each page's entries (folded names) are made as it is read: less left for the last step
    const entries: DirEntry[] = [];
    for (let after: number | null = 0; after !== null;) {
      if (this.closed || this.building.get(accountId) !== job) return; // closed, or the account was deleted
      const page = this.store.accountContactsAfter(accountId, after, BUILD_PAGE);
      for (const c of page.contacts) entries.push(toEntry(c, entries.length));
      after = page.next;
      await yieldTurn();
    }
    if (this.closed) return;
    // sorting the entries and the name and number indexes: six arrays of the account's size,
    // also a turn at a time (in one piece, about a second at 100,000 contacts)
    const prepared = await AccountDirectory.prepare(entries, yieldTurn);
    if (this.closed || this.building.get(accountId) !== job) return;
    const dir = new AccountDirectory(prepared, account.region, version.incarnation, version.revision, point);
    this.counts.builds++;
    this.counts.backgroundBuilds++;
    // checkedAt -Infinity: the next search checks the revision and applies what changed meanwhile
    this.slots.set(accountId, { dir, checkedAt: -Infinity, usedAt: job.wantedAt });
  }

  private build(accountId: string): AccountDirectory | null {
    // Revision and change point first: a write landing while we read the contacts shows up as a
    // newer revision at the next check, and its change is applied again (harmless).
    const version = this.store.getAccountVersion(accountId);
    const point = this.store.contactChangePoint(accountId);
    const account = this.store.getAccount(accountId);
    if (version === null || !account || account.incarnation !== version.incarnation) return null;
    this.counts.builds++;
    return new AccountDirectory(this.store.allAccountContacts(accountId), account.region, version.incarnation, version.revision, point);
  }

  /**
   * Brings a read model up to the store: the contacts changed since its change point are read
   * and applied in place. A full rebuild when the feed cannot say (settings or region changed,
   * changes pruned) or when most of the account changed (a big import).
   */
  private refresh(accountId: string, dir: AccountDirectory, revision: number): AccountDirectory | typeof STORE | null {
    const limit = Math.max(1000, dir.size / 2);
    // counted first: reading a feed of 100,000 changes only to rebuild anyway cost 0.7 s
    const count = this.store.contactChangeCount(accountId, dir.changePoint);
    const changes = count === null || count > limit ? null : this.store.contactChangesSince(accountId, dir.changePoint);
    if (!changes || changes.changed.length + changes.deleted.length > limit) {
      // the account's size after the changes, at most (or counted, when the feed cannot say)
      const size = count === null ? this.store.countAccountContacts(accountId) : dir.size + count;
      return size >= this.backgroundMin ? this.buildInBackground(accountId) : this.build(accountId);
    }
    dir.apply(this.store.getContactsByIds(accountId, changes.changed), changes.deleted);
    this.counts.updates++;
    dir.changePoint = changes.upTo;
    dir.revision = revision;
    return dir;
  }
}

/** Whether a model is older than the version a caller read (another incarnation, or a lower revision). */
function isBehind(dir: AccountDirectory, seen: AccountVersion | undefined): boolean {
  return seen !== undefined && (seen.incarnation !== dir.incarnation || seen.revision > dir.revision);
}
