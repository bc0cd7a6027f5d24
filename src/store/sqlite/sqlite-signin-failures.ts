// Failed sign-in counters shared by every process on the database. A counter leaks one failure
// per leakMs, so scattered typos never add up while a guessing run does. The arithmetic runs in
// SQL so that two processes recording at once cannot lose a failure.
import type { SigninFailureStore } from '../store.ts';
import type { StatementCache } from './database.ts';

export class SqliteSigninFailures implements SigninFailureStore {
  private writes = 0;
  constructor(private readonly stmts: StatementCache) {}

  signinFailures(keys: string[], nowMs: number, leakMs: number): Map<string, { failures: number; lastAt: number }> {
    const out = new Map<string, { failures: number; lastAt: number }>();
    const get = this.stmts.get('SELECT failures, last_at AS lastAt FROM signin_failures WHERE key = ?');
    for (const key of keys) {
      const row = get.get(key) as { failures: number; lastAt: number } | undefined;
      if (!row) continue;
      const failures = row.failures - Math.max(0, nowMs - row.lastAt) / leakMs;
      if (failures > 0) out.set(key, { failures, lastAt: row.lastAt });
    }
    return out;
  }

  recordSigninFailure(keys: string[], nowMs: number, leakMs: number): void {
    const upsert = this.stmts.get(`INSERT INTO signin_failures (key, failures, last_at) VALUES (?, 1, ?)
      ON CONFLICT (key) DO UPDATE SET failures = max(0, failures - max(0, excluded.last_at - last_at) / (? * 1.0)) + 1,
        last_at = max(last_at, excluded.last_at)`);
    for (const key of keys) upsert.run(key, nowMs, leakMs);
    // Counters that have leaked to zero are dropped now and then, so a flood of distinct
    // addresses or logins leaves no lasting rows.
    if (++this.writes % 1000 === 0) {
      this.stmts.get('DELETE FROM signin_failures WHERE last_at + failures * (? * 1.0) < ?').run(leakMs, nowMs);
    }
  }
}
