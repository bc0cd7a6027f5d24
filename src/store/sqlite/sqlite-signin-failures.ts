// The sign-in limiter's shared state in SQLite, seen by every process on the database: counters
// of distinct failures that leak one failure per leakMs once the wait they impose is over
// (scattered typos never add up while a guessing run does), the members (keyed hashes) each counter has counted, and when each login
// last signed in from each source. A failure is read-and-written in one IMMEDIATE transaction,
// so two processes recording at once neither lose a failure nor count one member twice.
import type { SigninCount, SigninFailurePolicy, SigninFailureStore } from '../store.ts';
import type { Db, StatementCache } from './database.ts';

/** Every this many writes, counters that have leaked away (with their members) and sources not
 *  seen for the known-source period are deleted, so a flood of distinct keys leaves no lasting rows. */
const SWEEP_EVERY = 1000;

export class SqliteSigninFailures {
  private failureWrites = 0;
  private successWrites = 0;
  private readonly recordTx: (entries: Entry[], nowMs: number, policy: Policy) => Recorded[];

  constructor(db: Db, private readonly stmts: StatementCache) {
    const tx = db.transaction((entries: Entry[], nowMs: number, policy: Policy) => entries.map((e) => this.recordOne(e, nowMs, policy)));
    this.recordTx = (entries, nowMs, policy) => tx.immediate(entries, nowMs, policy);
  }

  state(keys: string[], source: string, login: string, nowMs: number, leakMs: number): ReturnType<SigninFailureStore['signinState']> {
    return this.stmts.read(() => {
      const counts = new Map<string, SigninCount>();
      for (const key of keys) {
        const row = this.counter(key);
        const failures = row ? leaked(row, nowMs, leakMs) : 0;
        if (row && failures > 0) counts.set(key, { failures, lastAt: row.lastAt, leakFrom: row.leakFrom });
      }
      const known = this.stmts.get('SELECT last_ok AS at FROM signin_known_sources WHERE source = ? AND login = ?').get(source, login) as { at: number } | undefined;
      return { counts, knownAt: known?.at ?? null };
    });
  }

  recordFailure(entries: Entry[], nowMs: number, policy: Policy): Recorded[] {
    const out = this.recordTx(entries, nowMs, policy);
    if (++this.failureWrites % SWEEP_EVERY === 0) {
      this.stmts.get('DELETE FROM signin_failures WHERE leak_from + failures * (? * 1.0) < ?').run(policy.leakMs, nowMs);
      this.stmts.get('DELETE FROM signin_failure_members WHERE key NOT IN (SELECT key FROM signin_failures)').run();
    }
    return out;
  }

  recordSuccess(source: string, login: string, nowMs: number, forgetBeforeMs: number): void {
    this.stmts.get(`INSERT INTO signin_known_sources (source, login, last_ok) VALUES (?, ?, ?)
      ON CONFLICT (source, login) DO UPDATE SET last_ok = max(last_ok, excluded.last_ok)`).run(source, login, nowMs);
    if (++this.successWrites % SWEEP_EVERY === 0) this.stmts.get('DELETE FROM signin_known_sources WHERE last_ok < ?').run(forgetBeforeMs);
  }

  private counter(key: string): Row | undefined {
    return this.stmts.get('SELECT failures, last_at AS lastAt, leak_from AS leakFrom FROM signin_failures WHERE key = ?').get(key) as Row | undefined;
  }

  /** Inside the transaction: count the member unless the live counter has it already. */
  private recordOne(e: Entry, nowMs: number, policy: Policy): Recorded {
    const row = this.counter(e.key);
    const left = row ? leaked(row, nowMs, policy.leakMs) : 0;
    // A counter that has leaked away forgets its members with it: they live only as long as it.
    if (row && left <= 0) this.stmts.get('DELETE FROM signin_failure_members WHERE key = ?').run(e.key);
    const added = this.stmts.get('INSERT OR IGNORE INTO signin_failure_members (key, member) VALUES (?, ?)').run(e.key, e.member).changes > 0;
    if (!added) return { key: e.key, failures: left, lastAt: row?.lastAt ?? nowMs, leakFrom: row?.leakFrom ?? nowMs, added };
    const failures = left + 1;
    const lastAt = Math.max(row?.lastAt ?? 0, nowMs);
    const leakFrom = lastAt + policy.waitMs(failures, e.free);
    this.stmts.get(`INSERT INTO signin_failures (key, failures, last_at, leak_from) VALUES (?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, leak_from = excluded.leak_from`).run(e.key, failures, lastAt, leakFrom);
    return { key: e.key, failures, lastAt, leakFrom, added };
  }
}

type Entry = { key: string; member: string; free: number };
type Policy = SigninFailurePolicy;
type Recorded = SigninCount & { key: string; added: boolean };
type Row = { failures: number; lastAt: number; leakFrom: number };

/** The count left at nowMs: a counter leaks from the end of the wait it imposed. */
function leaked(row: Row, nowMs: number, leakMs: number): number {
  return Math.max(0, row.failures - Math.max(0, nowMs - row.leakFrom) / leakMs);
}
