// Follows the change feed of an AsyncStore for a set of accounts, engine-neutrally: a
// notification is only a hint, so the follower reads the feed by revision whenever one arrives,
// whenever the notification channel (re)connects (anything sent while it was down is lost) and
// on a short safety poll. What it delivers is therefore exactly the feed, never skipping a
// revision, whichever of the three found it first. The read model (src/directory/directory.ts)
// follows its loaded accounts with it, adding and dropping accounts as they are built and evicted.
import type { AsyncChangeFeed, ChangeHint, ChangeWatch, RevisionChanges } from './async-store.ts';

export type FollowedChange =
  | { accountId: string; kind: 'changes'; fromRevision: number; changes: RevisionChanges }
  /** The feed cannot say what changed (pruned, settings, a large import, account gone): read the account afresh. */
  | { accountId: string; kind: 'restart'; fromRevision: number };

export interface FollowerOptions {
  /** Where each account is followed from (its read model's revision). */
  from: Map<string, number>;
  /**
   * Delivers a change; awaited, and the account's position moves on only once it resolves (a
   * delivery that fails is read again next time). Deliveries of one account never overlap.
   */
  onChange: (change: FollowedChange) => unknown;
  /** Every hint as it arrives, before the feed is read (a reader can mark the account stale). */
  onHint?: (hint: ChangeHint) => void;
  /** A catch-up started by a hint or the poll failed (a caller's own catchUp() rejects instead). */
  onError?: (err: unknown) => void;
  /** Safety poll period in ms (0: no timer; a test calls catchUp() itself). */
  pollMs?: number;
  /** The revision to go on from after a restart (the caller re-read the account as of it). */
  revisionAfterRestart?: (accountId: string) => Promise<number | null>;
}

/** One account's feed read in flight, and the one queued after it (shared by every caller meanwhile). */
interface AccountRead {
  current: Promise<void>;
  next: Promise<void> | null;
}

export class ChangeFollower {
  private readonly positions: Map<string, number>;
  private watch: ChangeWatch | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** One catch-up of every account at a time; a call during one asks for one more after it. */
  private running: Promise<void> | null = null;
  private again = false;
  private readonly reads = new Map<string, AccountRead>();
  /** The catch-up after the latest (re)connect, until it is done. */
  private behind: Promise<void> | null = null;

  constructor(private readonly feed: AsyncChangeFeed, private readonly opts: FollowerOptions) {
    this.positions = new Map(opts.from);
  }

  async start(): Promise<void> {
    this.watch = await this.feed.watchChanges((hint) => {
      this.opts.onHint?.(hint);
      // a hint of one account reads that account only; a (re)connect may have missed anything
      if (hint.kind === 'connected') {
        // behind until the catch-up after this (re)connect has read every followed account
        const caughtUp = this.catchUp();
        this.behind = caughtUp;
        this.background(caughtUp.finally(() => { if (this.behind === caughtUp) this.behind = null; }));
      }
      else if (this.positions.has(hint.accountId) && hint.revision > this.positions.get(hint.accountId)!) this.background(this.catchUpAccount(hint.accountId));
    });
    if (this.opts.pollMs) {
      this.timer = setInterval(() => this.background(this.catchUp()), this.opts.pollMs);
      this.timer.unref();
    }
    await this.catchUp();
  }

  /** Follows (or goes on following) an account from a revision: its read model was just read as of it. */
  follow(accountId: string, revision: number): void {
    this.positions.set(accountId, revision);
  }

  /** Stops following an account (its model was dropped, or is being read afresh). */
  unfollow(accountId: string): void {
    this.positions.delete(accountId);
  }

  /** The revision each followed account has been delivered up to. */
  position(accountId: string): number | undefined {
    return this.positions.get(accountId);
  }

  get connected(): boolean {
    return this.watch?.connected ?? false;
  }

  /** Connected and caught up since the last (re)connect: what readiness reports as the feed being up. */
  get current(): boolean {
    return this.connected && this.behind === null;
  }

  /** Reads every followed account's feed from its position; resolves when done (coalesces overlapping calls). */
  catchUp(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          for (const accountId of [...this.positions.keys()]) await this.catchUpAccount(accountId);
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * Reads one account's feed from its position and delivers what it finds. A read already in
   * flight may have started before the change the caller knows of: one more read is queued after
   * it, shared by every caller meanwhile, so two reads of one account never overlap (deliveries
   * out of order could put an older contact over a newer one).
   */
  catchUpAccount(accountId: string): Promise<void> {
    const read = this.reads.get(accountId);
    if (!read) return this.startRead(accountId);
    read.next ??= read.current.catch(() => undefined).then(() => {
      this.reads.delete(accountId);
      return this.startRead(accountId);
    });
    return read.next;
  }

  private startRead(accountId: string): Promise<void> {
    const read: AccountRead = { current: Promise.resolve(), next: null };
    read.current = this.readAccount(accountId).finally(() => {
      if (read.next === null && this.reads.get(accountId) === read) this.reads.delete(accountId);
    });
    this.reads.set(accountId, read);
    return read.current;
  }

  private async readAccount(accountId: string): Promise<void> {
    const from = this.positions.get(accountId);
    if (from === undefined) return; // not followed (any more)
    const changes = await this.feed.changesSince(accountId, from);
    // dropped or followed afresh meanwhile: this read says nothing about the new position
    if (this.positions.get(accountId) !== from) return;
    if (changes === null) {
      // forgotten BEFORE the delivery: a reader that re-reads the account follows it again itself
      this.positions.delete(accountId);
      await this.opts.onChange({ accountId, kind: 'restart', fromRevision: from });
      const next = await this.opts.revisionAfterRestart?.(accountId);
      if (next !== null && next !== undefined) this.positions.set(accountId, next);
      return;
    }
    if (changes.upTo <= from) return;
    await this.opts.onChange({ accountId, kind: 'changes', fromRevision: from, changes });
    // unless the delivery dropped the account or followed it afresh
    if (this.positions.get(accountId) === from) this.positions.set(accountId, changes.upTo);
  }

  /** A catch-up nobody awaits: its failure goes to onError, never to an unhandled rejection. */
  private background(p: Promise<void>): void {
    p.catch((err) => this.opts.onError?.(err));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.watch?.close();
    this.watch = null;
    await this.running?.catch(() => undefined);
  }
}
