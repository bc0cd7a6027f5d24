// Follows the change feed of an AsyncStore for a set of accounts, engine-neutrally: a
// notification is only a hint, so the follower reads the feed by revision whenever one arrives,
// whenever the notification channel (re)connects (anything sent while it was down is lost) and
// on a short safety poll. What it delivers is therefore exactly the feed, never skipping a
// revision, whichever of the three found it first. Not wired into the server yet (issue 19).
import type { AsyncChangeFeed, ChangeWatch, RevisionChanges } from './async-store.ts';

export type FollowedChange =
  | { accountId: string; kind: 'changes'; fromRevision: number; changes: RevisionChanges }
  /** The feed cannot say what changed (pruned, settings, a large import, account gone): read the account afresh. */
  | { accountId: string; kind: 'restart'; fromRevision: number };

export interface FollowerOptions {
  /** Where each account is followed from (its read model's revision). */
  from: Map<string, number>;
  onChange: (change: FollowedChange) => void;
  /** Safety poll period in ms (0: no timer; a test calls catchUp() itself). */
  pollMs?: number;
  /** The revision to go on from after a restart (the caller re-read the account as of it). */
  revisionAfterRestart?: (accountId: string) => Promise<number | null>;
}

export class ChangeFollower {
  private readonly positions: Map<string, number>;
  private watch: ChangeWatch | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** One catch-up at a time; a hint during one asks for one more after it. */
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly feed: AsyncChangeFeed, private readonly opts: FollowerOptions) {
    this.positions = new Map(opts.from);
  }

  async start(): Promise<void> {
    this.watch = await this.feed.watchChanges((hint) => {
      if (hint.kind === 'connected' || (this.positions.has(hint.accountId) && hint.revision > this.positions.get(hint.accountId)!)) {
        void this.catchUp();
      }
    });
    if (this.opts.pollMs) {
      this.timer = setInterval(() => { void this.catchUp(); }, this.opts.pollMs);
      this.timer.unref();
    }
    await this.catchUp();
  }

  /** The revision each followed account has been delivered up to. */
  position(accountId: string): number | undefined {
    return this.positions.get(accountId);
  }

  get connected(): boolean {
    return this.watch?.connected ?? false;
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

  private async catchUpAccount(accountId: string): Promise<void> {
    const from = this.positions.get(accountId)!;
    const changes = await this.feed.changesSince(accountId, from);
    if (changes === null) {
      this.opts.onChange({ accountId, kind: 'restart', fromRevision: from });
      const next = await this.opts.revisionAfterRestart?.(accountId);
      if (next === null || next === undefined) this.positions.delete(accountId);
      else this.positions.set(accountId, next);
      return;
    }
    if (changes.upTo <= from) return;
    this.positions.set(accountId, changes.upTo);
    this.opts.onChange({ accountId, kind: 'changes', fromRevision: from, changes });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.watch?.close();
    this.watch = null;
    await this.running;
  }
}
