// Password guessing over HTTP goes through the shared sign-in limiter on every front end (portal,
// API tokens, phonebook HTTP Basic, phonebook path tokens): 1,000 guesses from one address, sent
// 50 at a time, get only a handful checked (401) and the rest refused unchecked (429 with a growing
// Retry-After); a right credential from another address is answered at once (issue #10, defect 2).
// Loopback has a whole /8, so each "address" below is a real source address of the connection.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
let port: number;

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

/** n guesses, 50 in parallel at a time, as fast as the server answers. */
async function guess(n: number, one: () => Promise<Answer>): Promise<Answer[]> {
  const out: Answer[] = [];
  while (out.length < n) out.push(...await Promise.all(Array.from({ length: Math.min(50, n - out.length) }, one)));
  return out;
}

function expectSlowed(answers: Answer[]): void {
  const checked = answers.filter((a) => a.status === 401).length;
  const refused = answers.filter((a) => a.status === 429);
  expect(checked + refused.length).toBe(answers.length);
  // signin.freeFailuresPerAddress is 10; then one more per 1, 2, 4, 8 ... s: a few seconds of
  // guessing gets only a handful more through
  expect(checked).toBeGreaterThanOrEqual(10);
  expect(checked).toBeLessThanOrEqual(16);
  for (const r of refused) {
    expect(r.retryAfter).toBeGreaterThan(0);
    expect(JSON.parse(r.body).error.code).toBe('too_many_attempts');
  }
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

beforeAll(async () => {
  srv = await startTestServer();
  port = Number(new URL(srv.httpUrl).port);
  acme = await seedAccount(srv.ctx, {
    id: 'acme',
    users: [{ username: 'olivia', scope: 'office_manager', password: 'olivia-password-1' }],
    contacts: [{ firstName: 'Ana', lastName: 'Pérez', workNumber: '2125550100' }],
    phoneCredentials: { username: 'phones', password: 'phone-password-1' },
  });
});
afterAll(async () => { await srv.close(); });

describe('sign-in limits over HTTP', () => {
  it('portal: after the free failures each wait is twice the one before (1,000 guesses would take hundreds of hours)', async () => {
    const wrong = () => send('127.0.0.11', 'POST', '/api/v1/session', {}, JSON.stringify({ account: 'acme', login: 'nobody', password: 'guess' }));
    for (let i = 0; i < 10; i++) expect((await wrong()).status).toBe(401);
    const waits: number[] = [];
    for (let step = 0; step < 3; step++) {
      const refused = await wrong();
      expect(refused.status).toBe(429);
      waits.push(refused.retryAfter!);
      await sleep(refused.retryAfter!);
      expect((await wrong()).status).toBe(401); // checked once the wait is over, and wrong again
    }
    // 2^(failures - 10) s: 1, 2, 4 ... (capped at signin.maxDelaySeconds, an hour by default)
    expect(waits).toEqual([1, 2, 4]);
  }, 30_000);

  it('portal: 1,000 wrong passwords from one address are mostly refused unchecked; the right one from another address signs in at once', async () => {
    const answers = await guess(1000, () => send('127.0.0.2', 'POST', '/api/v1/session', {}, JSON.stringify({ account: 'acme', login: 'olivia', password: 'guess' })));
    expectSlowed(answers);
    // the same address is refused even with the right password (it is not even checked) ...
    const sameAddress = await send('127.0.0.2', 'POST', '/api/v1/session', {}, JSON.stringify({ account: 'acme', login: 'olivia', password: 'olivia-password-1' }));
    expect(sameAddress.status).toBe(429);
    // ... while the owner, elsewhere, is not delayed
    const owner = await send('127.0.0.3', 'POST', '/api/v1/session', {}, JSON.stringify({ account: 'acme', login: 'olivia', password: 'olivia-password-1' }));
    expect(owner.status).toBe(201);
  }, 60_000);

  it('phonebook HTTP Basic: 1,000 wrong passwords are mostly refused; the phones elsewhere still get their phonebook', async () => {
    const wrong = 'Basic ' + Buffer.from('phones:guess').toString('base64');
    const answers = await guess(1000, () => send('127.0.0.4', 'GET', '/phonebook/acme/yealink.xml', { Authorization: wrong }));
    expectSlowed(answers);
    const right = 'Basic ' + Buffer.from('phones:phone-password-1').toString('base64');
    const phone = await send('127.0.0.5', 'GET', '/phonebook/acme/yealink.xml', { Authorization: right });
    expect(phone.status).toBe(200);
    expect(phone.body).toContain('Pérez');
    // a phone asking for the Basic challenge (no credentials) is not counted as a guess
    expect((await send('127.0.0.6', 'GET', '/phonebook/acme/yealink.xml', {})).status).toBe(401);
  }, 60_000);

  it('phonebook path tokens: guessed tokens are mostly refused; the real token works from another address', async () => {
    const answers = await guess(300, () => send('127.0.0.7', 'GET', `/phonebook/t/${'x'.repeat(32)}/yealink.xml`, {}));
    expectSlowed(answers);
    expect((await send('127.0.0.8', 'GET', `/phonebook/t/${acme.pathToken}/yealink.xml`, {})).status).toBe(200);
  }, 60_000);

  it('API bearer tokens: guessed tokens are mostly refused; a real token works from another address', async () => {
    const answers = await guess(300, () => send('127.0.0.9', 'GET', '/api/v1/me', { Authorization: 'Bearer dbk_guess' }));
    expectSlowed(answers);
    const me = await send('127.0.0.10', 'GET', '/api/v1/me', { Authorization: `Bearer ${acme.tokens.olivia}` });
    expect(me.status).toBe(200);
  }, 60_000);
});
