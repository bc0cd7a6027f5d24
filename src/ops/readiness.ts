// What /readyz reports: ready only when the database takes writes, the change listener is up,
// the LDAP listener is up (when enabled), the phonebook templates are loaded and start-up tasks
// (the demo account, building the read models) are done;
// not ready while stopping. /healthz stays the
// cheap liveness check (the process answers at all).
import type { AsyncStore } from '../store/async-store.ts';

export type CheckName = 'database' | 'feed' | 'ldap' | 'templates' | 'starting' | 'stopping';

// The write probe runs at most this often (a failing one waits up to 200 ms): /readyz is public,
// and load balancers poll it.
const PROBE_EVERY_MS = 2000;
/** A probe that has not answered by then is an answer: the store's own bound (SQLite waits 200 ms
 *  for a lock) does not cover a write queued behind an import in this process, nor a server
 *  database that stopped answering. */
const PROBE_ANSWER_MS = 1000;

export class Readiness {
  private ldap: boolean;
  private templates = false;
  private stopping = false;
  private readonly startupTasks = new Set<string>();
  private lastProbe = { at: 0, error: null as string | null };
  /** The probe under way: checks arriving meanwhile wait for it rather than start another. */
  private probing: Promise<void> | null = null;

  private readonly probeEveryMs: number;

  private readonly ownWriteRunning: () => boolean;
  private readonly feedUp: () => boolean;

  /**
   * ownWriteRunning: true while this server itself holds the write lock for a long batch (an
   * import thread's transaction). The database then takes writes, they wait for the import:
   * the probe's "locked" is not a reason to be taken out of a load balancer for an import's
   * duration. A lock held by anything else still makes the server not ready.
   */
  /**
   * feedUp: false while the read model's change listener is down (PostgreSQL's LISTEN
   * connection): this instance's answers may then be behind other instances' writes.
   */
  constructor(private readonly store: Pick<AsyncStore, 'probeWrite'>, opts: { ldapEnabled: boolean; probeEveryMs?: number; ownWriteRunning?: () => boolean; feedUp?: () => boolean }) {
    this.ldap = !opts.ldapEnabled;
    this.feedUp = opts.feedUp ?? (() => true);
    this.probeEveryMs = opts.probeEveryMs ?? PROBE_EVERY_MS;
    this.ownWriteRunning = opts.ownWriteRunning ?? (() => false);
  }

  templatesLoaded(): void { this.templates = true; }
  ldapListening(): void { this.ldap = true; }
  stopStarted(): void { this.stopping = true; }

  /**
   * Not ready until `task` settles, named by `what`: work the server does after its listeners
   * are up (the demo account), which a check or a load balancer must not take for done.
   */
  async startupTask<T>(what: string, task: Promise<T>): Promise<T> {
    this.startupTasks.add(what);
    try {
      return await task;
    } finally {
      this.startupTasks.delete(what);
    }
  }

  /** Failing checks with a reason each; empty when ready. */
  async check(now = Date.now()): Promise<Partial<Record<CheckName, string>>> {
    const failing: Partial<Record<CheckName, string>> = {};
    if (this.stopping) failing.stopping = 'the server is shutting down';
    if (!this.templates) failing.templates = 'phonebook templates not loaded yet';
    if (!this.ldap) failing.ldap = 'LDAP listener not started yet';
    if (!this.feedUp()) failing.feed = 'the change listener is down or still catching up: answers may miss other instances\' writes';
    if (this.startupTasks.size > 0) failing.starting = `still ${[...this.startupTasks].join(', ')}`;
    if (this.lastProbe.at === 0 || now - this.lastProbe.at >= this.probeEveryMs) {
      this.probing ??= this.probe(now).finally(() => { this.probing = null; });
      await this.probing;
    }
    if (this.lastProbe.error) failing.database = `database does not take writes: ${this.lastProbe.error}`;
    return failing;
  }

  private async probe(now: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${PROBE_ANSWER_MS} ms`), { code: 'PROBE_LATE' })), PROBE_ANSWER_MS);
    });
    const probe = this.store.probeWrite();
    probe.catch(() => undefined); // answered after the bound: nobody is waiting for it any more
    try {
      await Promise.race([probe, late]);
      this.lastProbe = { at: now, error: null };
    } catch (err) {
      // Waiting behind this server's own long write (an import) is no reason to be taken out of a
      // load balancer: the database takes writes, they wait for the import.
      const code = (err as { code?: string }).code;
      const busy = (code === 'SQLITE_BUSY' || code === 'PROBE_LATE') && this.ownWriteRunning();
      this.lastProbe = { at: now, error: busy ? null : (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
