// Slows repeated wrong passwords, per account+login and per address: after 3 failures each
// further attempt must wait 2^(n-3) seconds (capped at 5 minutes); a success clears the count.
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();

  /** Seconds to wait before another attempt is allowed, 0 when allowed now. */
  retryAfter(keys: string[]): number {
    let wait = 0;
    for (const k of keys) {
      const f = this.failures.get(k);
      if (!f || f.count < 3) continue;
      const delay = Math.min(300, 2 ** (f.count - 3)) * 1000;
      wait = Math.max(wait, f.last + delay - Date.now());
    }
    return Math.max(0, Math.ceil(wait / 1000));
  }

  fail(keys: string[]): void {
    for (const k of keys) {
      const f = this.failures.get(k);
      this.failures.set(k, { count: (f?.count ?? 0) + 1, last: Date.now() });
    }
    if (this.failures.size > 100_000) this.failures.clear();
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
