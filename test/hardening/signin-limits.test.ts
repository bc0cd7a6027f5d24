// Password guessing over the real HTTP and LDAP servers goes through the shared sign-in limiter
// on every front end (portal, API tokens, phonebook HTTP Basic and path tokens, LDAP binds,
// CardDAV): 1,000 different guesses from one address, 50 at a time, get only a handful checked
// (401) and the rest refused unchecked (429 with a growing Retry-After) — issue #10, defect 2.
// Bystanders are not punished: phones behind one office address keep working while one of them
// sends a stale password (issue #21), and 56 guesses spread over 7 addresses leave the account's
// phones (phonebook and LDAP) and a recently signed-in user working (issue #23). The limiter runs
// on an injected clock: waits are stepped over, never slept. Loopback has a whole /8, so each
// "address" below is a real source address of the connection.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigninLimiter } from '../../src/auth/signin-limiter.ts';
import { bindReq, RawLdap, searchReq } from '../ldap/raw-ldap.ts';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
let port: number;
const clock = { now: Date.now() };

interface Answer { status: number; retryAfter: number | null; body: string }

function send(from: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, localAddress: from, method, path, agent: false, headers: body ? { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += String(d); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] ? Number(res.headers['retry-after']) : null, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const basic = (user: string, password: string) => ({ Authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') });
const phonebook = (from: string, password: string, ua = 'Yealink SIP-T46S 66.86.0.15') => send(from, 'GET', '/phonebook/acme/yealink.xml', { ...basic('phones', password), 'User-Agent': ua });
const portal = (from: string, login: string, password: string) => send(from, 'POST', '/api/v1/session', {}, JSON.stringify({ account: 'acme', login, password }));
const carddav = (from: string, password: string) => send(from, 'PROPFIND', '/carddav/acme/olivia/', { ...basic('olivia@acme', password), Depth: '0' });

/** An LDAP bind (and, if it worked, a search) from `from`: the bind's result code and the names found. */
async function ldap(from: string, password: string): Promise<{ code: number; names: string[] }> {
  const c = await RawLdap.open(srv.ldapPort!, from);
  try {
    c.write(bindReq(1, 'phones@acme', password));
    const bind = await c.result(1);
    if (bind.code !== 0) return { code: bind.code!, names: [] };
    c.write(searchReq(2, { base: 'o=acme,dc=dialbook', filter: '(sn=*)', attributes: ['sn'] }));
    await c.result(2);
    return { code: 0, names: c.entries(2).map((e) => e.attrs!.sn[0]) };
  } finally {
    c.close();
  }
}

/** n guesses, 50 in parallel at a time, as fast as the server answers. */
async function guess(n: number, one: (i: number) => Promise<Answer>): Promise<Answer[]> {
  const out: Answer[] = [];
  while (out.length < n) {
    const base = out.length;
    out.push(...await Promise.all(Array.from({ length: Math.min(50, n - base) }, (_, k) => one(base + k))));
  }
  return out;
}

function expectSlowed(answers: Answer[]): void {
  const checked = answers.filter((a) => a.status === 401).length;
  const refused = answers.filter((a) => a.status === 429);
  expect(checked + refused.length).toBe(answers.length);
  // signin.freeFailuresPerAddress is 10 different wrong secrets for a login from one address;
  // the clock does not move, so nothing more is checked
  expect(checked).toBe(10);
  for (const r of refused) {
    expect(r.retryAfter).toBeGreaterThan(0);
    expect(JSON.parse(r.body).error.code).toBe('too_many_attempts');
  }
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await srv.ctx.metrics.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}

beforeAll(async () => {
  srv = await startTestServer();
  port = Number(new URL(srv.httpUrl).port);
  // the same limiter the server built, on a clock the tests move
  srv.ctx.signinLimiter = new SigninLimiter(srv.ctx.db, srv.ctx.config.signin, { clock: () => clock.now, metrics: srv.ctx.metrics, logger: srv.ctx.logger });
  acme = await seedAccount(srv.ctx, {
    id: 'acme',
    users: [{ username: 'olivia', scope: 'office_manager', password: 'olivia-password-1' }],
    contacts: [{ firstName: 'Ana', lastName: 'Pérez', workNumber: '2125550100' }],
    phoneCredentials: { username: 'phones', password: 'phone-password-1' },
  });
});
afterAll(async () => { await srv.close(); });

describe('sign-in limits over HTTP', () => {
  it('portal: after the free failures each wait is twice the one before', async () => {
    for (let i = 0; i < 10; i++) expect((await portal('127.0.0.11', 'nobody', `guess-${i}`)).status).toBe(401);
    const waits: number[] = [];
    for (let step = 0; step < 3; step++) {
      const refused = await portal('127.0.0.11', 'nobody', `guess-${10 + step}`);
      expect(refused.status).toBe(429);
      waits.push(refused.retryAfter!);
      clock.now += refused.retryAfter! * 1000;
      expect((await portal('127.0.0.11', 'nobody', `guess-${10 + step}`)).status).toBe(401); // checked once the wait is over, and wrong again
    }
    // 2^(failures - 10) s: 1, 2, 4 ... (capped at signin.maxDelaySeconds, an hour by default)
    expect(waits).toEqual([1, 2, 4]);
  }, 60_000);

  it('portal: 1,000 different wrong passwords from one address are mostly refused unchecked; the right one from another address signs in at once', async () => {
    const answers = await guess(1000, (i) => portal('127.0.0.2', 'olivia', `guess-${i}`));
    expectSlowed(answers);
    // the same address is refused even with the right password (it is not even checked) ...
    expect((await portal('127.0.0.2', 'olivia', 'olivia-password-1')).status).toBe(429);
    // ... while the owner, elsewhere, is not delayed
    expect((await portal('127.0.0.3', 'olivia', 'olivia-password-1')).status).toBe(201);
  }, 60_000);

  it('phonebook HTTP Basic: 1,000 different wrong passwords are mostly refused; the phones elsewhere still get their phonebook', async () => {
    const answers = await guess(1000, (i) => phonebook('127.0.0.4', `guess-${i}`));
    expectSlowed(answers);
    const phone = await phonebook('127.0.0.5', 'phone-password-1');
    expect(phone.status).toBe(200);
    expect(phone.body).toContain('Pérez');
    // a phone asking for the Basic challenge (no credentials) is not counted as a guess
    expect((await send('127.0.0.6', 'GET', '/phonebook/acme/yealink.xml', {})).status).toBe(401);
  }, 60_000);

  it('phonebook path tokens: guessed tokens are mostly refused; the real token works from another address', async () => {
    const answers = await guess(300, (i) => send('127.0.0.7', 'GET', `/phonebook/t/${String(i).padStart(32, 'x')}/yealink.xml`, {}));
    expectSlowed(answers);
    expect((await send('127.0.0.8', 'GET', `/phonebook/t/${acme.pathToken}/yealink.xml`, {})).status).toBe(200);
  }, 60_000);

  it('API bearer tokens: guessed tokens are mostly refused; a real token works from another address', async () => {
    const answers = await guess(300, (i) => send('127.0.0.9', 'GET', '/api/v1/me', { Authorization: `Bearer dbk_guess-${i}` }));
    expectSlowed(answers);
    expect((await send('127.0.0.10', 'GET', '/api/v1/me', { Authorization: `Bearer ${acme.tokens.olivia}` })).status).toBe(200);
  }, 60_000);
});

describe('bystanders over HTTP and LDAP', () => {
  it('one office address: a phone with a stale password, every minute for 12 minutes, refuses none of the others (phonebook, LDAP, portal)', async () => {
    let refusedGood = 0;
    let staleAnswers = new Set<number>();
    // (an hour of it runs in test/auth/signin-limiter.test.ts; a wrong LDAP bind costs a password hash)
    for (let minute = 0; minute < 12; minute++) {
      clock.now += 60_000;
      const stale = await phonebook('127.0.0.30', 'phone-password-0', 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:11:22:33');
      const staleBind = await ldap('127.0.0.30', 'phone-password-0');
      staleAnswers = new Set([...staleAnswers, stale.status, staleBind.code]);
      const good = await Promise.all(Array.from({ length: 5 }, () => phonebook('127.0.0.30', 'phone-password-1')));
      const bind = await ldap('127.0.0.30', 'phone-password-1');
      refusedGood += good.filter((a) => a.status !== 200).length + (bind.code === 0 ? 0 : 1);
    }
    expect(refusedGood).toBe(0);
    expect([...staleAnswers].sort()).toEqual([401, 49]); // wrong every time, never refused
    expect((await portal('127.0.0.30', 'olivia', 'olivia-password-1')).status).toBe(201);
    expect(await metric('dialbook_signin_failures_total', { kind: 'phonebook', repeat: 'yes' })).toBeGreaterThanOrEqual(10); // counted anew each time it had leaked away
  }, 120_000);

  it('56 guesses from 7 addresses (8 each, then 6 more after Retry-After): the phones and a signed-in user keep working, the guesser and strangers wait', async () => {
    // before the run: the phones fetched and bound from the office, olivia signed in from home
    clock.now += 24 * 3_600_000;
    expect((await phonebook('127.0.0.40', 'phone-password-1')).status).toBe(200);
    expect((await ldap('127.0.0.40', 'phone-password-1')).code).toBe(0);
    expect((await portal('127.0.0.41', 'olivia', 'olivia-password-1')).status).toBe(201);
    expect((await carddav('127.0.0.41', 'olivia-password-1')).status).toBe(207);
    // the run, against the phone login over the phonebook and against olivia's app passwords over
    // CardDAV, waiting out every Retry-After
    const attack = async (label: string, one: (from: string, i: number) => Promise<Answer>) => {
      const waits: number[] = [];
      let n = 0;
      for (let a = 1; a <= 7; a++) {
        for (let i = 0; i < 8; i++, n++) {
          let r = await one(`127.0.0.${50 + a}`, n);
          if (r.status === 429) {
            waits.push(r.retryAfter!);
            clock.now += r.retryAfter! * 1000;
            r = await one(`127.0.0.${50 + a}`, n);
          }
          expect([label, a, i, r.status]).toEqual([label, a, i, 401]);
        }
      }
      expect(waits).toEqual([1, 2, 4, 8, 16, 32]);
      const next = await one('127.0.0.51', n);
      expect([next.status, next.retryAfter]).toEqual([429, 64]);
    };
    await attack('phones', (from, i) => phonebook(from, `guess-${i}`));
    await attack('olivia', (from, i) => carddav(from, `dbk_guess-${i}`));
    // the phones keep their phonebook and caller-ID lookups where they signed in before ...
    const book = await phonebook('127.0.0.40', 'phone-password-1');
    expect(book.status).toBe(200);
    expect(book.body).toContain('Pérez');
    const lookup = await ldap('127.0.0.40', 'phone-password-1');
    expect(lookup.code).toBe(0);
    expect(lookup.names).toContain('Pérez');
    // ... and so does olivia, in the portal and in her CardDAV app
    expect((await portal('127.0.0.41', 'olivia', 'olivia-password-1')).status).toBe(201);
    expect((await carddav('127.0.0.41', 'olivia-password-1')).status).toBe(207);
    // a new address waits as the guesser does, even with the right password (README: Sign-in limits)
    const stranger = await carddav('127.0.0.60', 'olivia-password-1');
    expect([stranger.status, stranger.retryAfter]).toEqual([429, 64]);
    const strangerBind = await ldap('127.0.0.61', 'phone-password-1');
    expect(strangerBind.code).toBe(51);
    expect(await metric('dialbook_signin_refused_total', { limit: 'login' })).toBeGreaterThanOrEqual(3);
    // once the wait is over (and no guess took the turn) the new address signs in
    clock.now += 64_000;
    expect((await carddav('127.0.0.60', 'olivia-password-1')).status).toBe(207);
  }, 120_000);
});
