// The sign-in limiter's reads of the shared counters that are under way in this process. The
// store is asynchronous: while one attempt waits for its read, another attempt's failure may be
// stored and its hold released, and the read may not include it (it was answered first, or on
// another connection). Each failure recorded here is handed to the reads under way on its
// counters, which take it if it is newer than what they read. Bounded by the reads in flight.
import type { SigninCount } from '../store/store.ts';

export class PendingReads {
  private readonly reading = new Map<string, { readers: number; latest: SigninCount | null }>();

  /** Runs `read` for these counter keys, and adds to what it returns any failure recorded meanwhile. */
  async around<T extends { counts: Map<string, SigninCount> }>(keys: string[], read: () => Promise<T>): Promise<T> {
    for (const key of keys) {
      const r = this.reading.get(key);
      if (r) r.readers++;
      else this.reading.set(key, { readers: 1, latest: null });
    }
    try {
      const state = await read();
      for (const key of keys) {
        const latest = this.reading.get(key)?.latest;
        const got = state.counts.get(key);
        if (latest && (!got || latest.failures > got.failures)) state.counts.set(key, latest);
      }
      return state;
    } finally {
      for (const key of keys) {
        const r = this.reading.get(key)!;
        if (--r.readers === 0) this.reading.delete(key);
      }
    }
  }

  /** A failure was stored: the counter as it stands after it. */
  recorded(key: string, count: SigninCount): void {
    const r = this.reading.get(key);
    if (r && (!r.latest || count.failures > r.latest.failures)) r.latest = { failures: count.failures, lastAt: count.lastAt, leakFrom: count.leakFrom };
  }
}
