// Whatever broke, an HTTP error is JSON in the documented shape { error: { code, message,
// details } }, with no stack trace or file path in it (issue #10, defect 6).
import Database from 'better-sqlite3';
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/error-handler.ts';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

/** The documented error shape, and nothing of the server's insides. */
function expectCleanError(res: request.Response, status: number, code?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error.code).toBe('string');
  expect(typeof res.body.error.message).toBe('string');
  expect(Array.isArray(res.body.error.details)).toBe(true);
  if (code) expect(res.body.error.code).toBe(code);
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\/work\/|\/src\/|<html|<pre>/i);
  expect(res.text.length).toBeLessThan(20_000);
}

beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, {
    id: 'acme',
    users: [{ username: 'olivia', scope: 'office_manager' }],
    contacts: [{ firstName: 'Ana', lastName: 'Pérez', workNumber: '2125550100' }],
    phoneCredentials: { username: 'phones', password: 'phone-password-1' },
  });
});
afterAll(async () => { await srv.close(); });

describe('hostile bodies', () => {
  const deepArray = '['.repeat(7000) + ']'.repeat(7000);

  it('answers a 7,000-deep JSON body to the sign-in route with a short JSON 400', async () => {
    const res = await request(srv.httpUrl).post('/api/v1/session').set('Content-Type', 'application/json').send(deepArray);
    expectCleanError(res, 400, 'validation_failed');
  });

  it('answers a 7,000-deep field in a sign-in body with a short JSON 400', async () => {
    const res = await request(srv.httpUrl).post('/api/v1/session').set('Content-Type', 'application/json')
      .send(`{"account":${deepArray},"login":"x","password":"y"}`);
    expectCleanError(res, 400, 'validation_failed');
  });

  it('answers a deep body to an authenticated API route with a short JSON 400', async () => {
    const deepObject = '{"a":'.repeat(7000) + '1' + '}'.repeat(7000);
    const res = await request(srv.httpUrl).post('/api/v1/accounts').set(bearer(srv.adminToken)).set('Content-Type', 'application/json').send(deepObject);
    expectCleanError(res, 400, 'validation_failed');
  });

  it('answers malformed JSON, a body too large and a bad charset in the same shape', async () => {
    expectCleanError(await request(srv.httpUrl).post('/api/v1/session').set('Content-Type', 'application/json').send('{"account":'), 400, 'invalid_json');
    const big = JSON.stringify({ firstName: 'x'.repeat(2_000_000), workNumber: '1' });
    expectCleanError(await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia)).set('Content-Type', 'application/json').send(big), 413, 'payload_too_large');
    expectCleanError(await request(srv.httpUrl).post('/api/v1/session').set('Content-Type', 'application/json; charset=klingon').send('{}'), 415, 'unsupported_media_type');
  });

  it('answers a __proto__ body key as an ordinary unknown field', async () => {
    const res = await request(srv.httpUrl).patch('/api/v1/accounts/acme').set(bearer(srv.adminToken)).set('Content-Type', 'application/json')
      .send('{"__proto__":{"isAdmin":true},"settings":{"__proto__":{"x":1}}}');
    expectCleanError(res, 400, 'validation_failed');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});

describe('requests the HTTP parser rejects', () => {
  /** Sends raw bytes, returns what came back until the server closed the connection. */
  const raw = (bytes: string) => new Promise<string>((resolve, reject) => {
    const s = connect(Number(new URL(srv.httpUrl).port), '127.0.0.1', () => s.write(bytes));
    let text = '';
    s.on('data', (d) => { text += String(d); });
    s.on('close', () => resolve(text));
    s.on('error', reject);
  });
  const cases: [string, string, number, string][] = [
    ['a malformed header line', 'GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n', 400, 'bad_request'],
    ['an unknown method', 'NOTAMETHOD / HTTP/1.1\r\nHost: t\r\n\r\n', 400, 'bad_request'],
    ['a non-numeric Content-Length', 'POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n', 400, 'bad_request'],
    ['20 KB of headers', `GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
  ];
  for (const [what, bytes, status, code] of cases) {
    it(`answers ${what} with JSON ${status}`, async () => {
      const text = await raw(bytes);
      const [head, body] = text.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`);
      expect(head).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(body)).toEqual({ error: { code, message: expect.any(String), details: [] } });
    });
  }
});

describe('malformed percent-encoding (URIError)', () => {
  it('answers a bad escape in a route parameter with JSON 400', async () => {
    expectCleanError(await request(srv.httpUrl).get('/api/v1/accounts/%E0%A4%A').set(bearer(srv.adminToken)), 400, 'bad_request');
    expectCleanError(await request(srv.httpUrl).get('/phonebook/%E0%A4%A/cisco.xml').set(basic('phones', 'phone-password-1')), 400, 'bad_request');
  });

  it('treats a malformed session cookie as no session, not as a server error', async () => {
    const res = await request(srv.httpUrl).get('/api/v1/session').set('Cookie', 'dialbook_session=%E0%A4%A');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ signedIn: false, csrf: null });
    expectCleanError(await request(srv.httpUrl).get('/api/v1/me').set('Cookie', 'dialbook_session=%E0%A4%A'), 401, 'unauthorized');
  });
});

describe('lookups by name are own keys only', () => {
  for (const view of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'nosuchview']) {
    it(`answers ?view=${view} with 400 naming the parameter`, async () => {
      const res = await request(srv.httpUrl).get(`/phonebook/acme/cisco.xml?view=${view}`).set(basic('phones', 'phone-password-1'));
      expectCleanError(res, 400, 'validation_failed');
      expect(res.body.error.details[0]).toMatchObject({ field: 'view', value: view });
    });
  }

  it('still serves the views the vendor has, and takes the first of repeated parameters', async () => {
    const res = await request(srv.httpUrl).get('/phonebook/acme/cisco.xml?view=search').set(basic('phones', 'phone-password-1'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('CiscoIPPhoneInput');
    const twice = await request(srv.httpUrl).get('/phonebook/acme/cisco.xml?q=ana&q=bob&__proto__=x').set(basic('phones', 'phone-password-1'));
    expect(twice.status).toBe(200);
    expect(twice.text).toContain('Pérez');
  });
});

describe('metrics', () => {
  it('labels API calls route="api", not "portal"', async () => {
    await request(srv.httpUrl).get('/api/v1/accounts/acme').set(bearer(acme.tokens.olivia)).expect(200);
    await request(srv.httpUrl).get('/api/v1/me').set(bearer(acme.tokens.olivia)).expect(200);
    const text = (await request(srv.httpUrl).get('/metrics')).text;
    const counts = text.split('\n').filter((l) => l.startsWith('dialbook_http_request_duration_seconds_count'));
    const apiOk = counts.find((l) => l.includes('route="api"') && l.includes('status="200"') && l.includes('method="GET"'));
    expect(apiOk).toBeDefined();
    expect(Number(apiOk!.split(' ').pop())).toBeGreaterThanOrEqual(2);
    expect(counts.filter((l) => l.includes('route="portal"'))).toEqual([]);
  });
});

describe('disk full', () => {
  it('answers a write that hits a full database with 507 storage_full, rendered by the real error handler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialbook-full-'));
    const db = new Database(join(dir, 'full.db'));
    try {
      db.exec('CREATE TABLE t (v TEXT)');
      // SQLite's own size cap gives the same SQLITE_FULL as a full disk
      db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 2}`);
      const app = express();
      app.post('/write', () => {
        const ins = db.prepare('INSERT INTO t VALUES (?)');
        db.transaction(() => { for (let i = 0; i < 100; i++) ins.run('x'.repeat(4000)); })();
      });
      app.use(errorHandler(pino({ level: 'silent' })));
      const res = await request(app).post('/write');
      expectCleanError(res, 507, 'storage_full');
      expect((db.prepare('SELECT count(*) n FROM t').get() as { n: number }).n).toBe(0);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
