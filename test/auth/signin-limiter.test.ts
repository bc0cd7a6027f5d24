// The shared sign-in limiter over a real SQLite file, with an injected clock (no sleeps): it
// slows guessing (one address at one login, one address at many logins, many addresses at one
// login) without punishing bystanders (phones behind one office address, one of them with a
// stale password; phones and users at addresses where they signed in before), counts a repeated
// wrong secret once, never stores a secret, shares its state between processes, and keeps its
// in-memory memo bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseSource, SigninLimiter, type SigninKind, type SigninLimits } from '../../src/auth/signin-limiter.ts';
import type { AsyncStore } from '../../src/store/async-store.ts';
import { openSqliteAsyncStore } from '../../src/store/sqlite/sqlite-async-store.ts';

// config/default.json's values
const limits: SigninLimits = { freeFailuresPerAddress: 10, freeLoginsPerAddress: 10, freeFailuresPerLogin: 50, knownSourceDays: 30, maxDelaySeconds: 3600, forgetFailureSeconds: 600 };
const HOUR = 3_600_000;
let dir: string;
let file: string;
let store: AsyncStore;
let other: AsyncStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dialbook-limiter-'));
  file = join(dir, 'db.sqlite');
  store = openSqliteAsyncStore(file);
  other = openSqliteAsyncStore(file); // a second connection, as a second process has
});
afterAll(async () => { await store.close(); await other.close(); rmSync(dir, { recursive: true, force: true }); });

interface LogLine { level: string; obj: Record<string, unknown>; msg: string }

/** A limiter on its own clock (each test starts at its own time, so tests share no counters). */
function setup(start: number, opts: { on?: AsyncStore; knownEntries?: number } = {}) {
  const clock = { now: start };
  const metrics = new Registry();
  const lines: LogLine[] = [];
  const log = (level: string) => (obj: Record<string, unknown>, msg: string) => { lines.push({ level, obj, msg }); };
  const logger = { info: log('info'), warn: log('warn'), debug: log('debug') } as never;
  const limiter = new SigninLimiter(opts.on ?? store, limits, { clock: () => clock.now, metrics, logger, knownEntries: opts.knownEntries });
  /** One credential check: refused (not checked), or checked and settled as right or wrong. */
  const check = async (source: string, login: string, secret: string, right: boolean, kind: SigninKind = 'phonebook') => {
    const a = await limiter.attempt({ kind, source, login, secret });
    if (a.allowed) {
      if (right) await a.succeeded();
      else await a.failed();
    }
    return a;
  };
  const metric = async (name: string, labels: Record<string, string>) => {
    const m = await metrics.getSingleMetric(name)?.get();
    return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
  };
  return { clock, limiter, check, metric, lines };
}

/** Guesses distinct passwords as fast as the limiter allows (waiting each Retry-After), until
 *  `until` on the clock; how many were checked. */
async function guessUntil(s: ReturnType<typeof setup>, until: number, next: (i: number) => { source: string; login: string; secret: string }): Promise<number> {
  let checked = 0;
  for (let i = 0; s.clock.now < until;) {
    const g = next(i);
    const a = await s.check(g.source, g.login, g.secret, false, 'portal');
    if (!a.allowed) {
      expect(a.retryAfterSeconds).toBeGreaterThan(0);
      s.clock.now += a.retryAfterSeconds * 1000;
      continue;
    }
    checked++;
    i++;
  }
  return checked;
}

describe('guessing is slowed', () => {
  it('one address, 1,000 different passwords on one login: 21 checked in the first hour, hundreds of hours for all', async () => {
    const t0 = 1_000_000_000_000;
    const s = setup(t0);
    const firstHour = await guessUntil(s, t0 + HOUR, (i) => ({ source: '203.0.113.7', login: 'olivia@demo', secret: `guess-${i}` }));
    // 10 free, then one after each wait of 1, 2, 4 ... 1024 s (2,047 s in all; the next is 2,048)
    expect(firstHour).toBe(21);
    let n = firstHour;
    while (n < 1000) {
      const a = await s.check('203.0.113.7', 'olivia@demo', `guess-${n}`, false, 'portal');
      if (a.allowed) n++;
      else s.clock.now += a.retryAfterSeconds * 1000;
    }
    expect((s.clock.now - t0) / HOUR).toBeGreaterThan(100);
    expect(s.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'sign-ins slowed: 10 different wrong secrets for olivia@demo from 203.0.113.7: that address is slowed for it',
    ]);
    // another login from another address is not held up
    expect((await s.check('198.51.100.1', 'bob@demo', 'bob-password', true, 'portal')).allowed).toBe(true);
  });

  it('one address, 1,000 different passwords spread over 100 logins: slowed once 10 logins have failed there', async () => {
    const t0 = 1_100_000_000_000;
    const s = setup(t0);
    // olivia signed in from this office address before the run
    expect((await s.check('203.0.113.8', 'olivia@demo', 'olivia-password', true, 'portal')).allowed).toBe(true);
    const firstHour = await guessUntil(s, t0 + HOUR, (i) => ({ source: '203.0.113.8', login: `user${i % 100}@demo`, secret: `guess-${i}` }));
    // 10 logins free, then one new login per 1, 2, 4 ... s: not even a quarter of the 100 logins is
    // tried within the hour
    expect(firstHour).toBeLessThanOrEqual(21);
    expect(firstHour).toBeGreaterThanOrEqual(10);
    expect(await s.metric('dialbook_signin_refused_total', { limit: 'address' })).toBeGreaterThan(0);
    expect(s.lines.some((l) => l.msg.includes('10 different logins failed from 203.0.113.8'))).toBe(true);
    // ... while olivia, known at this address, is not slowed there by the other logins' failures
    expect((await s.check('203.0.113.8', 'olivia@demo', 'olivia-password', true, 'portal')).allowed).toBe(true);
    // and a login never signed in from there is, right after the next guess
    let g = await s.check('203.0.113.8', 'user99@demo', 'guess-last', false, 'portal');
    if (!g.allowed) {
      s.clock.now += g.retryAfterSeconds * 1000;
      g = await s.check('203.0.113.8', 'user99@demo', 'guess-last', false, 'portal');
    }
    expect(g.allowed).toBe(true);
    expect((await s.check('203.0.113.8', 'newcomer@demo', 'newcomer-password', true, 'portal')).allowed).toBe(false);
  });

  it('a parallel burst of different guesses gets only the free allowance checked, before any failure is stored', async () => {
    const s = setup(1_200_000_000_000);
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => s.limiter.attempt({ kind: 'ldap', source: '192.0.2.50', login: 'phones@acme', secret: `guess-${i}` })));
    expect(burst.filter((a) => a.allowed)).toHaveLength(limits.freeFailuresPerAddress);
    for (const a of burst) await a.failed();
    expect((await s.limiter.attempt({ kind: 'ldap', source: '192.0.2.50', login: 'phones@acme', secret: 'guess-x' })).allowed).toBe(false);
    // 50 phones booting at once with the same (right) password are one secret in flight, not 50
    const phones = await Promise.all(Array.from({ length: 50 }, () => s.limiter.attempt({ kind: 'ldap', source: '192.0.2.51', login: 'phones@acme', secret: 'right' })));
    expect(phones.every((a) => a.allowed)).toBe(true);
    for (const a of phones) await a.succeeded();
  });

  it('an attempt whose store read was under way while a failure was stored sees that failure', async () => {
    // The store answers B's read with what it held before A's failure was stored (a read on
    // another connection, or a slow round trip); A's hold is gone by the time B decides.
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    let slow = false;
    const lagging = { ...store, signinState: async (...args: Parameters<AsyncStore['signinState']>) => {
      const state = await store.signinState(...args);
      if (slow) await gate;
      return state;
    } } as AsyncStore;
    const s = setup(1_250_000_000_000, { on: lagging });
    for (let i = 0; i < limits.freeFailuresPerAddress - 1; i++) await s.check('192.0.2.55', 'lag@acme', `guess-${i}`, false);
    const a = await s.limiter.attempt({ kind: 'ldap', source: '192.0.2.55', login: 'lag@acme', secret: 'guess-a' });
    expect(a.allowed).toBe(true);
    slow = true;
    const b = s.limiter.attempt({ kind: 'ldap', source: '192.0.2.55', login: 'lag@acme', secret: 'guess-b' });
    await new Promise((r) => setTimeout(r, 10)); // B's read has returned the old counters
    await a.failed();
    open();
    expect((await b).allowed).toBe(false);
  });

  it('counts a repeated wrong secret once: the same wrong token 1,000 times is never slowed, a new one is counted', async () => {
    const s = setup(1_300_000_000_000);
    for (let i = 0; i < 1000; i++) {
      expect((await s.check('192.0.2.60', '', 'dbk_stale-token', false, 'api-token')).allowed).toBe(true);
      s.clock.now += 1000;
    }
    // counted once, and once more after it had leaked away (one failure per 600 s)
    expect(await s.metric('dialbook_signin_failures_total', { repeat: 'no' })).toBe(2);
    expect(await s.metric('dialbook_signin_failures_total', { repeat: 'yes' })).toBe(998);
    // different tokens are guesses
    for (let i = 0; i < 9; i++) expect((await s.check('192.0.2.60', '', `dbk_guess-${i}`, false, 'api-token')).allowed).toBe(true);
    expect((await s.check('192.0.2.60', '', 'dbk_guess-x', false, 'api-token')).allowed).toBe(false);
  });
});

describe('bystanders are not punished', () => {
  it('50 phones behind one office address, one with a stale password every 60 s for an hour: 0 refusals for the other 49', async () => {
    const t0 = 2_000_000_000_000;
    const s = setup(t0);
    let refusals = 0;
    let staleRefusals = 0;
    // every phone fetches its phonebook and binds to LDAP once a minute, staggered over the minute;
    // phone 0 still has the password from before a rotation
    for (let minute = 0; minute < 60; minute++) {
      for (let phone = 0; phone < 50; phone++) {
        s.clock.now = t0 + minute * 60_000 + phone * 1000;
        const secret = phone === 0 ? 'old-phone-password' : 'new-phone-password';
        for (const kind of ['phonebook', 'ldap'] as const) {
          const a = await s.check('198.51.100.20', 'phones@acme', secret, phone !== 0, kind);
          if (!a.allowed) phone === 0 ? staleRefusals++ : refusals++;
        }
      }
    }
    expect(refusals).toBe(0);
    expect(staleRefusals).toBe(0); // one mistake, repeated, slows nobody
    // the phones' right password, known at this address, costs no database read once remembered
    expect(await s.metric('dialbook_signin_checks_total', { via: 'store' })).toBeLessThan(60 * 2 * 2);
    expect(await s.metric('dialbook_signin_checks_total', { via: 'memo' })).toBeGreaterThan(5000);
    // what the operator sees: the stale phone's failures name the login and the address (a new
    // line each time the count had leaked away), never a "slowed" line
    const failed = s.lines.filter((l) => l.level === 'info');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(12);
    expect(failed[0].obj).toMatchObject({ login: 'phones@acme', address: '198.51.100.20' });
    expect(s.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(JSON.stringify(s.lines)).not.toContain('old-phone-password');
  });

  it('users behind one address: one user\'s phone with a stale password slows none of the 49 others', async () => {
    const t0 = 2_100_000_000_000;
    const s = setup(t0);
    let refusals = 0;
    for (let minute = 0; minute < 60; minute++) {
      for (let u = 0; u < 50; u++) {
        s.clock.now = t0 + minute * 60_000 + u * 1000;
        const a = await s.check('198.51.100.21', `user${u}@acme`, u === 0 ? 'stale' : `user${u}-password`, u !== 0, 'carddav');
        if (!a.allowed && u !== 0) refusals++;
      }
    }
    expect(refusals).toBe(0);
  });

  it('56 guesses from 7 addresses, then 6 more after Retry-After: known phones and users keep working, the guesser and strangers wait', async () => {
    const t0 = 2_200_000_000_000;
    const s = setup(t0);
    // before the run: the phones signed in from the office, olivia from home
    expect((await s.check('198.51.100.30', 'phones@acme', 'phone-password', true, 'phonebook')).allowed).toBe(true);
    expect((await s.check('198.51.100.30', 'phones@acme', 'phone-password', true, 'ldap')).allowed).toBe(true);
    expect((await s.check('198.51.100.31', 'olivia@acme', 'olivia-password', true, 'portal')).allowed).toBe(true);
    s.clock.now += 60_000;
    for (const login of ['phones@acme', 'olivia@acme']) {
      // 8 different guesses from each of 7 addresses (under the 10 allowed per address), waiting
      // out each Retry-After: 50 are free, the last 6 wait 1, 2, 4 ... s
      const waits: number[] = [];
      let n = 0;
      for (let a = 1; a <= 7; a++) {
        for (let i = 0; i < 8; i++, n++) {
          let r = await s.check(`203.0.113.${a}`, login, `guess-${n}`, false);
          if (!r.allowed) {
            waits.push(r.retryAfterSeconds);
            s.clock.now += r.retryAfterSeconds * 1000;
            r = await s.check(`203.0.113.${a}`, login, `guess-${n}`, false);
          }
          expect(r.allowed).toBe(true);
        }
      }
      expect(n).toBe(56);
      expect(waits).toEqual([1, 2, 4, 8, 16, 32]);
      // the guesser, from any address it has not signed in from, now waits 64 s
      const r = await s.check('203.0.113.99', login, `guess-${n}`, false);
      expect([r.allowed, r.retryAfterSeconds]).toEqual([false, 64]);
    }
    // the account's phones and the recently signed-in user keep working where they signed in before
    expect((await s.check('198.51.100.30', 'phones@acme', 'phone-password', true, 'phonebook')).allowed).toBe(true);
    expect((await s.check('198.51.100.30', 'phones@acme', 'phone-password', true, 'ldap')).allowed).toBe(true);
    expect((await s.check('198.51.100.31', 'olivia@acme', 'olivia-password', true, 'carddav')).allowed).toBe(true);
    // a new phone in the known office too: the office's address is known for the login
    expect((await s.check('198.51.100.30', 'phones@acme', 'phone-password', true, 'phonebook')).allowed).toBe(true);
    // a source never seen with the login waits as the guesser does (the decision README explains):
    // checked once the wait is over, if no guess took the turn first
    const stranger = await s.check('192.0.2.77', 'olivia@acme', 'olivia-password', true, 'portal');
    expect([stranger.allowed, stranger.retryAfterSeconds]).toEqual([false, 64]);
    s.clock.now += stranger.retryAfterSeconds * 1000;
    expect((await s.check('192.0.2.77', 'olivia@acme', 'olivia-password', true, 'portal')).allowed).toBe(true);
    // the operator was told, once per login
    expect(s.lines.filter((l) => l.level === 'warn').map((l) => l.obj)).toEqual([
      expect.objectContaining({ login: 'phones@acme', limit: 'login', failures: 50 }),
      expect.objectContaining({ login: 'olivia@acme', limit: 'login', failures: 50 }),
    ]);
  });

  it('forgets scattered failures, so typos over a day never lock anyone out', async () => {
    const s = setup(2_300_000_000_000);
    for (let i = 0; i < 100; i++) {
      expect((await s.check('192.0.2.200', 'typo@demo', `typo-${i}`, false, 'portal')).allowed).toBe(true);
      s.clock.now += 15 * 60_000;
    }
  });
});

describe('state', () => {
  it('is shared between processes: failures, and where a login is known', async () => {
    const t0 = 3_000_000_000_000;
    const here = setup(t0);
    const there = setup(t0, { on: other });
    for (let i = 0; i < limits.freeFailuresPerAddress; i++) await here.check('192.0.2.99', 'x@acme', `guess-${i}`, false);
    const refused = await there.check('192.0.2.99', 'x@acme', 'guess-x', false, 'carddav');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    // phones known through one process keep working through the other during a spread-out run
    expect((await here.check('198.51.100.40', 'phones@globex', 'right', true)).allowed).toBe(true);
    for (let i = 0; i < 60; i++) await here.check(`203.0.113.${100 + (i % 7)}`, 'phones@globex', `guess-${i}`, false);
    expect((await there.check('198.51.100.41', 'phones@globex', 'right', true)).allowed).toBe(false);
    expect((await there.check('198.51.100.40', 'phones@globex', 'right', true)).allowed).toBe(true);
  });

  it('keeps keyed hashes, never a secret, and only as long as their counter', async () => {
    const s = setup(3_100_000_000_000);
    await s.check('192.0.2.120', 'ann@acme', 'my-old-secret-1', false);
    const db = new Database(file, { readonly: true });
    try {
      const text = JSON.stringify([db.prepare('SELECT * FROM signin_failure_members').all(), db.prepare('SELECT * FROM signin_failures').all()]);
      expect(text).not.toContain('my-old-secret-1');
      const count = () => (db.prepare("SELECT count(*) AS n FROM signin_failure_members WHERE key LIKE '%ann@acme'").get() as { n: number }).n;
      expect(count()).toBe(2); // in the (address, login) and the login counters
      // once the counter has leaked away, the next failure starts over without the old marks
      s.clock.now += limits.forgetFailureSeconds * 1000 + 1;
      await s.check('192.0.2.120', 'ann@acme', 'another-secret', false);
      expect(count()).toBe(2);
    } finally {
      db.close();
    }
  });

  it('remembers successes in memory up to a bound, however many distinct sources sign in', async () => {
    const s = setup(3_200_000_000_000, { knownEntries: 500 });
    for (let i = 0; i < 3000; i++) await s.check(`10.${(i >> 8) & 255}.${i & 255}.1`, `u${i}@acme`, 'right', true);
    expect(s.limiter.knownInMemory).toBe(500);
  });

  it('counts IPv6 hosts by their /64 and IPv4-mapped addresses as IPv4', async () => {
    expect(normaliseSource('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normaliseSource('2001:db8:1:2:aaaa::1')).toBe(normaliseSource('2001:db8:1:2:bbbb::2'));
    expect(normaliseSource('2001:db8:1:2::1')).not.toBe(normaliseSource('2001:db8:1:3::1'));
  });
});
