// The sign-in limiter's shared state on PostgreSQL, seen by every instance on the database (20
// failures spread over three instances count as 20): counters of DISTINCT failures that leak one
// failure per leakMs once the wait they imposed is over, the members (keyed hashes) each counter
// has counted, and when each login last signed in from each source. The same semantics as
// sqlite/sqlite-signin-failures.ts. A failure is read-and-written in one transaction holding a
// transaction-level advisory lock per key (taken in key order, so two recorders never deadlock):
// a row lock cannot serialise the first failure of a key, whose row does not exist yet.
import type pg from 'pg';
import type { SigninCount, SigninFailurePolicy, SigninFailureStore } from '../store.ts';

/** Every this many writes (per instance), counters that have leaked away (with their members) and
 *  sources not seen for the known-source period are deleted, so a flood of distinct keys leaves no lasting rows. */
const SWEEP_EVERY = 1000;

/** The two-int advisory lock space of sign-in counters ("si"); the migration lock uses the one-bigint space, which does not overlap. */
const LOCK_CLASS = 0x7369;

type Entry = { key: string; member: string; free: number };
type Policy = SigninFailurePolicy;
type Recorded = SigninCount & { key: string; added: boolean };
type Row = { failures: number; lastAt: number; leakFrom: number };
type CounterRow = { key: string; failures: number; last_at: string; leak_from: string };

const toRow = (r: CounterRow): Row => ({ failures: Number(r.failures), lastAt: Number(r.last_at), leakFrom: Number(r.leak_from) });

/** The count left at nowMs: a counter leaks from the end of the wait it imposed. */
function leaked(row: Row, nowMs: number, leakMs: number): number {
  return Math.max(0, row.failures - Math.max(0, nowMs - row.leakFrom) / leakMs);
}

export class PgSigninFailures {
  private failureWrites = 0;
  private successWrites = 0;

  constructor(private readonly pool: pg.Pool, private readonly tx: <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>) {}

  async state(keys: string[], source: string, login: string, nowMs: number, leakMs: number): ReturnType<AsyncState> {
    const [counters, known] = await Promise.all([
      this.pool.query<CounterRow>('SELECT key, failures, last_at, leak_from FROM signin_failures WHERE key = ANY($1)', [keys]),
      this.pool.query<{ at: string }>('SELECT last_ok AS at FROM signin_known_sources WHERE source = $1 AND login = $2', [source, login]),
    ]);
    const byKey = new Map(counters.rows.map((r) => [r.key, toRow(r)]));
    // In the order asked, as SQLite answers.
    const counts = new Map<string, SigninCount>();
    for (const key of keys) {
      const row = byKey.get(key);
      const failures = row ? leaked(row, nowMs, leakMs) : 0;
      if (row && failures > 0) counts.set(key, { failures, lastAt: row.lastAt, leakFrom: row.leakFrom });
    }
    return { counts, knownAt: known.rows[0] ? Number(known.rows[0].at) : null };
  }

  async recordFailure(entries: Entry[], nowMs: number, policy: Policy): Promise<Recorded[]> {
    const out = await this.tx(async (c) => {
      for (const key of [...new Set(entries.map((e) => e.key))].sort()) {
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, key]);
      }
      const recorded: Recorded[] = [];
      for (const e of entries) recorded.push(await this.recordOne(c, e, nowMs, policy));
      return recorded;
    });
    if (++this.failureWrites % SWEEP_EVERY === 0) {
      await this.tx(async (c) => {
        await c.query('DELETE FROM signin_failures WHERE leak_from + failures * $1::double precision < $2', [policy.leakMs, nowMs]);
        await c.query('DELETE FROM signin_failure_members m WHERE NOT EXISTS (SELECT 1 FROM signin_failures f WHERE f.key = m.key)');
      });
    }
    return out;
  }

  async recordSuccess(source: string, login: string, nowMs: number, forgetBeforeMs: number): Promise<void> {
    await this.pool.query(`INSERT INTO signin_known_sources (source, login, last_ok) VALUES ($1, $2, $3)
      ON CONFLICT (source, login) DO UPDATE SET last_ok = greatest(signin_known_sources.last_ok, excluded.last_ok)`, [source, login, nowMs]);
    if (++this.successWrites % SWEEP_EVERY === 0) await this.pool.query('DELETE FROM signin_known_sources WHERE last_ok < $1', [forgetBeforeMs]);
  }

  /** Inside the transaction, under the key's lock: count the member unless the live counter has it already. */
  private async recordOne(c: pg.ClientBase, e: Entry, nowMs: number, policy: Policy): Promise<Recorded> {
    const found = await c.query<CounterRow>('SELECT key, failures, last_at, leak_from FROM signin_failures WHERE key = $1', [e.key]);
    const row = found.rows[0] ? toRow(found.rows[0]) : undefined;
    const left = row ? leaked(row, nowMs, policy.leakMs) : 0;
    // A counter that has leaked away forgets its members with it: they live only as long as it.
    if (row && left <= 0) await c.query('DELETE FROM signin_failure_members WHERE key = $1', [e.key]);
    const added = ((await c.query('INSERT INTO signin_failure_members (key, member) VALUES ($1, $2) ON CONFLICT DO NOTHING', [e.key, e.member])).rowCount ?? 0) > 0;
    if (!added) return { key: e.key, failures: left, lastAt: row?.lastAt ?? nowMs, leakFrom: row?.leakFrom ?? nowMs, added };
    const failures = left + 1;
    const lastAt = Math.max(row?.lastAt ?? 0, nowMs);
    const leakFrom = lastAt + policy.waitMs(failures, e.free);
    await c.query(`INSERT INTO signin_failures (key, failures, last_at, leak_from) VALUES ($1, $2, $3, $4)
      ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, leak_from = excluded.leak_from`, [e.key, failures, lastAt, leakFrom]);
    return { key: e.key, failures, lastAt, leakFrom, added };
  }
}

type AsyncState = (...args: Parameters<SigninFailureStore['signinState']>) => Promise<ReturnType<SigninFailureStore['signinState']>>;
