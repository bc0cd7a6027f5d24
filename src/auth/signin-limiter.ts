// One limiter for every credential check (portal, API tokens, phonebook Basic and path tokens,
// LDAP binds, CardDAV), built to stop guessing without punishing bystanders. Three counters, all
// of DISTINCT failures (a device repeating one wrong secret is one mistake, not a guessing run),
// kept in the store so that processes and instances sharing the database share them:
//   (address, login)  different wrong secrets for this login from this address;
//   address           different logins failing from this address (many logins from one place);
//   login             different wrong secrets for this login from anywhere (a spread-out run).
// An address where the login signed in within signin.knownSourceDays (an office, a phone) is
// judged by its own (address, login) counter only: neither other logins' failures nor strangers
// guessing at the login slow it. Below a counter's free allowance nothing is slowed; past it an
// attempt must wait 2^(n - free) s after that counter's latest failure (capped), and attempts that
// come sooner are refused WITHOUT checking the credential. An attempt holds its place as a possible
// failure until its failure is stored, so a parallel burst cannot slip in before the first failure
// is stored; an attempt whose store read was under way meanwhile sees that failure's counter too.
// The store is asynchronous (a server database for several instances): reading the counters and
// recording a failure are awaited; a right credential from a known address reads nothing.
import type { Logger } from 'pino';
import { Registry, type Counter } from 'prom-client';
import { counter } from '../ops/metrics.ts';
import type { AsyncSigninFailureStore } from '../store/async-store.ts';
import type { SigninCount, SigninFailurePolicy } from '../store/store.ts';
import { signinFailurePolicy, signinWaitMs } from './signin-wait.ts';
import { KnownSources } from './known-sources.ts';
import { normaliseLogin, normaliseSource, SigninMarks } from './signin-keys.ts';
import { PendingReads } from './signin-reads.ts';

export { normaliseSource } from './signin-keys.ts';

export type SigninKind = 'portal' | 'api-token' | 'phonebook' | 'ldap' | 'carddav';

export interface SigninLimits {
  /** Different wrong secrets for one login from one address before that address is slowed for it. */
  freeFailuresPerAddress: number;
  /** Different logins failing from one address before it is slowed for logins not known there. */
  freeLoginsPerAddress: number;
  /** Different wrong secrets for one login from anywhere before addresses it is not known at are
   *  slowed for it: high, yet a guessing run spread over many addresses is slowed. */
  freeFailuresPerLogin: number;
  /** A login that signed in from an address is known there this long (0: never). */
  knownSourceDays: number;
  /** The longest wait between two attempts. */
  maxDelaySeconds: number;
  /** One recorded failure is forgotten per this many seconds. */
  forgetFailureSeconds: number;
}

export interface SigninRequest {
  kind: SigninKind;
  /** The client address as the front end sees it. */
  source: string;
  /** "<user>@<account>"; '' for a token, which names no login. */
  login: string;
  /** The presented password or token. Only a keyed hash of it is kept, as long as the counters. */
  secret: string;
  /** What the client says it is (User-Agent): logged with failures, to find a device with a stale password. */
  device?: string;
}

export interface SigninAttempt {
  /** false: refuse WITHOUT checking the credential. */
  readonly allowed: boolean;
  /** When refused: seconds until an attempt may be made. */
  readonly retryAfterSeconds: number;
  /**
   * The credential proved right: the address becomes known for the login (in memory at once; in
   * the store, when it has to be written, by the promise, which never rejects: a store failure
   * is logged, the sign-in itself was right). Callers need not wait for it.
   */
  succeeded(): Promise<void>;
  /** The credential proved wrong: counted unless this secret was counted already. Await it
   *  before answering: the attempt holds its place until the failure is stored. */
  failed(): Promise<void>;
  /** Neither (a storage failure, say): nothing is recorded. */
  released(): void;
}

export interface SigninLimiterOptions {
  clock?: () => number;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  metrics?: Registry;
  /** Key of the secret marks; without one, a per-process random key. */
  markKey?: Buffer;
  /** Most (address, login) successes remembered in memory. */
  knownEntries?: number;
}

type LimitName = 'address_login' | 'address' | 'login' | 'parallel';
interface CounterPlan { key: string; member: string; free: number; limit: LimitName }

/** The memo's copy of an (address, login) counter is trusted this long: a failure made through
 *  another process is seen after it, or at this process's next failure on the pair. */
const MEMO_TRUST_MS = 10 * 60_000;
/** A known pair's success is written to the store at most this often per process. */
const STORE_SUCCESS_EVERY_MS = 60 * 60_000;
const MAX_DEVICE_CHARS = 200;

export class SigninLimiter {
  /** Members of attempts started in this process and not yet settled, per counter key. */
  private readonly inFlight = new Map<string, Map<string, number>>();
  /** Store reads under way: they are handed failures recorded meanwhile. */
  private readonly reads = new PendingReads();
  private readonly policy: SigninFailurePolicy;
  private readonly known: KnownSources;
  private readonly marks: SigninMarks;
  private readonly clock: () => number;
  private readonly logger: SigninLimiterOptions['logger'] | null;
  private readonly refusedTotal: Counter<string>;
  private readonly failuresTotal: Counter<string>;
  private readonly checksTotal: Counter<string>;

  constructor(private readonly store: AsyncSigninFailureStore, private readonly limits: SigninLimits, opts: SigninLimiterOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.policy = signinFailurePolicy(limits);
    this.logger = opts.logger ?? null;
    this.marks = new SigninMarks(opts.markKey);
    this.known = new KnownSources(opts.knownEntries ?? 10_000);
    const metrics = opts.metrics ?? new Registry();
    this.refusedTotal = counter(metrics, 'dialbook_signin_refused_total', 'Sign-in attempts refused unchecked, by front end and by the limit that refused (address_login, address, login, parallel)', ['kind', 'limit']);
    this.failuresTotal = counter(metrics, 'dialbook_signin_failures_total', 'Wrong credentials by front end; repeat="yes": a wrong secret already counted (a device retrying a stale password)', ['kind', 'repeat']);
    this.checksTotal = counter(metrics, 'dialbook_signin_checks_total', 'Sign-in limiter decisions by where the state came from (memo: a known address, no database read)', ['kind', 'via']);
  }

  /** Reads the store unless the address is known for the login (then nothing is read). */
  async attempt(req: SigninRequest): Promise<SigninAttempt> {
    const now = this.clock();
    const { kind } = req;
    const leakMs = this.limits.forgetFailureSeconds * 1000;
    const knownMs = this.limits.knownSourceDays * 86_400_000;
    const source = normaliseSource(req.source);
    const login = normaliseLogin(req.login);
    const secretMark = this.marks.secret(login, req.secret);
    const pair: CounterPlan = { key: `pair:${source} ${login}`, member: secretMark, free: this.limits.freeFailuresPerAddress, limit: 'address_login' };
    // A token has no login: each different wrong token counts as one more login at the address.
    // In flight the login itself tells attempts apart (memory only); its mark is made for the store
    // only when a failure is recorded, sparing a known phone's right password an HMAC.
    const address: CounterPlan = { key: `addr:${source}`, member: login ? `login ${login}` : secretMark, free: this.limits.freeLoginsPerAddress, limit: 'address' };
    const plans = login ? [pair, address, { key: `login:${login}`, member: secretMark, free: this.limits.freeFailuresPerLogin, limit: 'login' as const }] : [pair, address];
    const memoKey = `${source} ${login}`;

    let known = this.known.get(memoKey, now, knownMs);
    let counts: Map<string, SigninCount>;
    if (known && now - known.readAt < MEMO_TRUST_MS) {
      counts = new Map(known.pair ? [[pair.key, leakTo(known.pair, known.readAt, now, leakMs)]] : []);
      this.checksTotal.inc({ kind, via: 'memo' });
    } else {
      const keys = plans.map((p) => p.key);
      const state = await this.reads.around(keys, () => this.store.signinState(keys, source, login, now, leakMs));
      counts = state.counts;
      const knownAt = Math.max(state.knownAt ?? -Infinity, known?.knownAt ?? -Infinity);
      known = now - knownAt < knownMs
        ? this.known.put(memoKey, { knownAt, storedAt: Math.max(known?.storedAt ?? 0, state.knownAt ?? 0), pair: counts.get(pair.key) ?? null, readAt: now })
        : null;
      this.checksTotal.inc({ kind, via: 'store' });
    }

    // From here to the holds nothing is awaited: the verdict and the holds are one step.
    // A known address is judged by its own counter for this login only.
    let refusal: { seconds: number; limit: LimitName } | null = null;
    for (const plan of known ? [pair] : plans) {
      const r = this.verdict(plan, counts.get(plan.key), now);
      if (r && (!refusal || r.seconds > refusal.seconds)) refusal = r;
    }
    if (refusal) {
      this.refusedTotal.inc({ kind, limit: refusal.limit });
      return refused(refusal.seconds);
    }

    for (const plan of plans) this.hold(plan);
    let settled = false;
    return {
      allowed: true,
      retryAfterSeconds: 0,
      released: () => {
        if (settled) return;
        settled = true;
        for (const plan of plans) this.release(plan);
      },
      succeeded: async () => {
        if (settled) return;
        settled = true;
        for (const plan of plans) this.release(plan);
        await this.rememberSuccess(memoKey, source, login, counts.get(pair.key) ?? null, now);
      },
      failed: async () => {
        if (settled) return;
        settled = true;
        // Held until the failure is stored (and handed to reads under way): released earlier,
        // a parallel attempt could find it neither in flight nor in the store.
        try {
          await this.recordFailure(req, source, login, plans, memoKey);
        } finally {
          for (const plan of plans) this.release(plan);
        }
      },
    };
  }

  /** (address, login) successes held in memory (bounded by the knownEntries option). */
  get knownInMemory(): number {
    return this.known.size;
  }

  /** null: this counter lets the attempt through; else how long to wait and why. */
  private verdict(plan: CounterPlan, count: SigninCount | undefined, now: number): { seconds: number; limit: LimitName } | null {
    const members = this.inFlight.get(plan.key);
    const pending = members ? members.size - (members.has(plan.member) ? 1 : 0) : 0;
    // A failure is forgotten whole: 9.99 leaked failures still count as 10.
    const recorded = count ? Math.ceil(count.failures - 1e-9) : 0;
    if (recorded + pending < plan.free) return null;
    // Only attempts still in flight make up the excess: try again once they have settled.
    if (recorded < plan.free) return { seconds: 1, limit: 'parallel' };
    const readyAt = count!.lastAt + signinWaitMs(recorded, plan.free, this.limits.maxDelaySeconds * 1000);
    if (readyAt > now) return { seconds: Math.ceil((readyAt - now) / 1000), limit: plan.limit };
    return pending > 0 ? { seconds: 1, limit: 'parallel' } : null;
  }

  private async rememberSuccess(memoKey: string, source: string, login: string, pair: SigninCount | null, readAt: number): Promise<void> {
    const at = this.clock();
    const knownMs = this.limits.knownSourceDays * 86_400_000;
    if (knownMs <= 0) return;
    const entry = this.known.get(memoKey, at, knownMs);
    if (entry && at - entry.storedAt < STORE_SUCCESS_EVERY_MS) {
      entry.knownAt = Math.max(entry.knownAt, at);
      return;
    }
    // Known in this process at once (the next attempt reads nothing); storedAt is claimed before
    // the write so that successes arriving meanwhile do not write it again.
    const before = entry?.storedAt ?? 0;
    const put = this.known.put(memoKey, { knownAt: at, storedAt: at, pair: entry?.pair ?? pair, readAt: entry?.readAt ?? readAt });
    try {
      await this.store.recordSigninSuccess(source, login, at, at - knownMs);
    } catch (err) {
      // The sign-in itself was right; only the store's memory of it is lost (other processes
      // keep treating the address as new for the login); this process writes it again next time.
      put.storedAt = before;
      this.logger?.warn({ err, login, address: source }, 'could not record a successful sign-in in the store');
    }
  }

  private async recordFailure(req: SigninRequest, source: string, login: string, plans: CounterPlan[], memoKey: string): Promise<void> {
    const at = this.clock();
    const stored = (p: CounterPlan) => (p.limit === 'address' && login ? this.marks.login(login) : p.member);
    const results = await this.store.recordSigninFailure(plans.map((p) => ({ key: p.key, member: stored(p), free: p.free })), at, this.policy);
    for (const r of results) this.reads.recorded(r.key, r);
    const pair = results[0];
    const entry = this.known.get(memoKey, at, this.limits.knownSourceDays * 86_400_000);
    if (entry) {
      entry.pair = { failures: pair.failures, lastAt: pair.lastAt, leakFrom: pair.leakFrom };
      entry.readAt = at;
    }
    this.failuresTotal.inc({ kind: req.kind, repeat: pair.added ? 'no' : 'yes' });
    if (!this.logger) return;
    const who = { kind: req.kind, login: login || '(token)', address: source, device: (req.device ?? '').slice(0, MAX_DEVICE_CHARS) || undefined };
    if (pair.added) this.logger.info({ ...who, failures: Math.ceil(pair.failures - 1e-9) }, `sign-in failed: wrong password or token for ${who.login} from ${source}`);
    else this.logger.debug(who, `sign-in failed again with a wrong secret already counted for ${who.login} from ${source} (a device retrying a stale password?)`);
    results.forEach((r, i) => {
      const plan = plans[i];
      if (!r.added || !crossed(r.failures, plan.free)) return;
      const n = Math.ceil(r.failures - 1e-9);
      const why = plan.limit === 'address_login' ? `${n} different wrong secrets for ${who.login} from ${source}: that address is slowed for it`
        : plan.limit === 'address' ? `${n} different logins failed from ${source}: it is slowed for logins that have not signed in from there recently`
          : `${n} different wrong secrets for ${who.login} from anywhere: addresses it has not signed in from recently are slowed for it`;
      this.logger!.warn({ ...who, limit: plan.limit, failures: n }, `sign-ins slowed: ${why}`);
    });
  }

  private hold(plan: CounterPlan): void {
    let members = this.inFlight.get(plan.key);
    if (!members) this.inFlight.set(plan.key, (members = new Map()));
    members.set(plan.member, (members.get(plan.member) ?? 0) + 1);
  }

  private release(plan: CounterPlan): void {
    const members = this.inFlight.get(plan.key);
    if (!members) return;
    const n = (members.get(plan.member) ?? 1) - 1;
    if (n > 0) members.set(plan.member, n);
    else members.delete(plan.member);
    if (members.size === 0) this.inFlight.delete(plan.key);
  }
}

function refused(retryAfterSeconds: number): SigninAttempt {
  return { allowed: false, retryAfterSeconds, succeeded: async () => {}, failed: async () => {}, released() {} };
}

/** A counter read at `from`, as it stands at `to` (it leaks from its leakFrom on). */
function leakTo(count: SigninCount, from: number, to: number, leakMs: number): SigninCount {
  const leaking = Math.max(0, to - Math.max(from, count.leakFrom));
  return { ...count, failures: Math.max(0, count.failures - leaking / leakMs) };
}

/** This failure took the counter to its free allowance: from now on it slows. */
function crossed(failures: number, free: number): boolean {
  return Math.ceil(failures - 1e-9) >= free && Math.ceil(failures - 1 - 1e-9) < free;
}
