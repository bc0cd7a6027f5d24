// The shared sign-in limiter over a real SQLite file: guessing from one address is slowed
// exponentially until it runs at a few guesses an hour, parallel guesses cannot slip through,
// a right password from another address is not delayed, and two processes share the count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseSource, SigninLimiter, type SigninLimits } from '../../src/auth/signin-limiter.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

const limits: SigninLimits = { freeFailuresPerAddress: 10, freeFailuresPerLogin: 50, maxDelaySeconds: 3600, forgetFailureSeconds: 600 };
let dir: string;
let store: Store;
let other: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dialbook-limiter-'));
  store = openSqliteStore(join(dir, 'db.sqlite'));
  other = openSqliteStore(join(dir, 'db.sqlite')); // a second connection, as a second process has
});
afterAll(() => { store.close(); other.close(); rmSync(dir, { recursive: true, force: true }); });

describe('sign-in limiter', () => {
  it('makes 1,000 guesses from one address take hundreds of hours, while another address signs in at once', () => {
    let now = 1_000_000_000;
    const limiter = new SigninLimiter(store, limits, () => now);
    let checked = 0;
    let guesses = 0;
    // Each guess is made as soon as the limiter allows; refused ones cost the attacker a wait.
    while (guesses < 1000) {
      const a = limiter.attempt('portal', '203.0.113.7', 'olivia@demo');
      if (!a.allowed) {
        expect(a.retryAfterSeconds).toBeGreaterThan(0);
        now += a.retryAfterSeconds * 1000;
        continue;
      }
      checked++;
      guesses++;
      a.failed();
    }
    const hours = (now - 1_000_000_000) / 3_600_000;
    expect(hours).toBeGreaterThan(100);
    expect(checked).toBe(1000);

    const fromElsewhere = limiter.attempt('portal', '198.51.100.1', 'bob@demo');
    expect(fromElsewhere.allowed).toBe(true);
    fromElsewhere.succeeded();
  });

  it('refuses a parallel burst beyond the free allowance before any failure is recorded', () => {
    const limiter = new SigninLimiter(store, limits);
    const burst = Array.from({ length: 50 }, () => limiter.attempt('ldap', '192.0.2.50', 'phones@acme'));
    expect(burst.filter((a) => a.allowed)).toHaveLength(limits.freeFailuresPerAddress);
    for (const a of burst) a.failed();
    expect(limiter.attempt('ldap', '192.0.2.50', 'phones@acme').allowed).toBe(false);
  });

  it('shares failures between processes on the same database', () => {
    const here = new SigninLimiter(store, limits);
    const there = new SigninLimiter(other, limits);
    for (let i = 0; i < limits.freeFailuresPerAddress; i++) here.attempt('phonebook', '192.0.2.99', '').failed();
    const refused = there.attempt('carddav', '192.0.2.99', 'x@acme');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('forgets scattered failures, so typos over a day never lock anyone out', () => {
    let now = 2_000_000_000;
    const limiter = new SigninLimiter(store, limits, () => now);
    for (let i = 0; i < 100; i++) {
      const a = limiter.attempt('portal', '192.0.2.200', 'typo@demo');
      expect(a.allowed).toBe(true);
      a.failed();
      now += 15 * 60_000;
    }
  });

  it('counts IPv6 hosts by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(normaliseSource('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normaliseSource('2001:db8:1:2:aaaa::1')).toBe(normaliseSource('2001:db8:1:2:bbbb::2'));
    expect(normaliseSource('2001:db8:1:2::1')).not.toBe(normaliseSource('2001:db8:1:3::1'));
  });
});
