// The directory read model every phone read is served from: one AccountDirectory per account,
// built from the store on first use, kept current by the account revision (checked at most every
// revisionCheckMs per account, so another process's writes show within that time; writes in this
// process mark the account for a check at once), and dropped after idleEvictMinutes unused.
// Same call shapes as the store's queryContacts / queryContactRefs / getContactsByIds.
import type { Contact } from '../domain/contact-schemas.ts';
import type { ContactPage, ContactQuery, ContactRef, Store } from '../store/store.ts';
import { AccountDirectory } from './account-directory.ts';

export interface DirectoryOptions {
  /** Drop an account's read model when no search used it for this long. */
  idleEvictMinutes: number;
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

export class Directory {
  private readonly slots = new Map<string, Slot>();
  /** Full builds and in-place updates so far (metrics, and tests that check which one ran). */
  readonly counts = { builds: 0, updates: 0 };
  private readonly checkMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly store: Store, opts: DirectoryOptions) {
    this.checkMs = opts.revisionCheckMs ?? 250;
    this.idleMs = opts.idleEvictMinutes * 60_000;
    this.now = opts.now ?? Date.now;
    // unref: an idle sweep must never keep the process alive
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(this.idleMs, 60_000)).unref();
  }

  queryContacts(accountId: string, q: ContactQuery): ContactPage {
    const dir = this.current(accountId);
    if (!dir) return { contacts: [], total: q.withTotal ? 0 : null };
    const page = dir.query(q);
    return { contacts: page.entries.map((e) => e.contact), total: page.total };
  }

  queryContactRefs(accountId: string, q: ContactQuery): ContactRef[] {
    const dir = this.current(accountId);
    if (!dir) return [];
    return dir.query(q).entries.map((e) => ({ id: e.contact.id, revision: e.contact.revision }));
  }

  /** Contacts by id, in the order of ids (unknown ids skipped), as the last query saw them. */
  getContactsByIds(accountId: string, ids: readonly string[]): Contact[] {
    const dir = this.slots.get(accountId)?.dir ?? this.current(accountId);
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
    clearInterval(this.sweeper);
    this.slots.clear();
  }

  /** The account's read model, current to within checkMs; null when the account does not exist. */
  private current(accountId: string): AccountDirectory | null {
    const now = this.now();
    let slot = this.slots.get(accountId);
    if (slot && now - slot.checkedAt >= this.checkMs) {
      const revision = this.store.getRevision(accountId);
      if (revision === null) {
        this.slots.delete(accountId);
        return null;
      }
      if (revision !== slot.dir.revision) slot.dir = this.refresh(accountId, slot.dir, revision) ?? slot.dir;
      slot.checkedAt = now;
    }
    if (!slot) {
      const dir = this.build(accountId);
      if (!dir) return null;
      slot = { dir, checkedAt: now, usedAt: now };
      this.slots.set(accountId, slot);
    }
    slot.usedAt = now;
    return slot.dir;
  }

  private build(accountId: string): AccountDirectory | null {
    // Revision and change point first: a write landing while we read the contacts shows up as a
    // newer revision at the next check, and its change is applied again (harmless).
    const revision = this.store.getRevision(accountId);
    const point = this.store.contactChangePoint(accountId);
    const account = this.store.getAccount(accountId);
    if (revision === null || !account) return null;
    this.counts.builds++;
    return new AccountDirectory(this.store.allAccountContacts(accountId), account.region, revision, point);
  }

  /**
   * Brings a read model up to the store: the contacts changed since its change point are read
   * and applied in place. A full rebuild when the feed cannot say (settings or region changed,
   * changes pruned) or when most of the account changed (a big import).
   */
  private refresh(accountId: string, dir: AccountDirectory, revision: number): AccountDirectory | null {
    const changes = this.store.contactChangesSince(accountId, dir.changePoint);
    if (!changes || changes.changed.length + changes.deleted.length > Math.max(1000, dir.size / 2)) return this.build(accountId);
    dir.apply(this.store.getContactsByIds(accountId, changes.changed), changes.deleted);
    this.counts.updates++;
    dir.changePoint = changes.upTo;
    dir.revision = revision;
    return dir;
  }
}
