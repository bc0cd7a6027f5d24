// The session cookie is Secure whenever the request came over TLS (issue 23, section 5): on the
// built-in HTTPS port, and behind a proxy that http.trustProxy trusts and that says https; not on
// plain HTTP unless portal.secureCookies asks for it. A certificate is made with openssl, as in
// test/ops/security.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/programs.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

const SIGN_IN = JSON.stringify({ account: 'acme', login: 'bob', password: 'bob-password-1' });

/** A request to /api/v1/session over TLS (POST: sign in as bob): status, Set-Cookie and HSTS. */
const signInOverTls = (port: number, path = '/api/v1/session', method = 'POST') =>
  new Promise<{ status: number; cookie: string; hsts: string | undefined }>((res, rej) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const req = httpsRequest({ host: '127.0.0.1', port, path, method, headers, rejectUnauthorized: false, agent: false }, (r) => {
      r.resume();
      r.on('end', () => res({ status: r.statusCode ?? 0, cookie: String(r.headers['set-cookie'] ?? ''), hsts: r.headers['strict-transport-security'] as string | undefined }));
    });
    req.on('error', rej);
    req.end(method === 'POST' ? SIGN_IN : undefined);
  });

describe.skipIf(!requireProgram('openssl', 'openssl'))('session cookie over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-tls-cookie-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let srv: TestServer;
  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    srv = await startTestServer({ http: { httpsPort: 0, tlsCert: cert, tlsKey: key } });
    await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'bob', password: 'bob-password-1' }] });
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is Secure on the HTTPS port (with HSTS), and so is the sign-out cookie', async () => {
    const signedIn = await signInOverTls(srv.httpsPort!);
    expect(signedIn.status).toBe(201);
    expect(signedIn.hsts).toBeDefined();
    expect(signedIn.cookie).toMatch(/^dialbook_session=[^;]+;.*; Secure/);
    // signing out clears the cookie with the same attributes (no cookie sent: no CSRF token needed)
    const out = await signInOverTls(srv.httpsPort!, '/api/v1/session', 'DELETE');
    expect(out.status).toBe(204);
    expect(out.cookie).toContain('Max-Age=0');
    expect(out.cookie).toContain('; Secure');
  });

  it('is not Secure on the plain HTTP port of the same server (portal.secureCookies off)', async () => {
    const res = await request(srv.httpUrl).post('/api/v1/session').send({ account: 'acme', login: 'bob', password: 'bob-password-1' });
    expect(res.status).toBe(201);
    expect(res.headers['set-cookie'][0]).not.toContain('Secure');
  });
});

describe('session cookie behind a proxy', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ http: { trustProxy: 'loopback' } });
    await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'bob', password: 'bob-password-1' }] });
  }, 60_000);
  afterAll(async () => { await srv?.close(); });

  it('is Secure when a trusted proxy says the request came over https, and not otherwise', async () => {
    const viaTls = await request(srv.httpUrl).post('/api/v1/session').set('X-Forwarded-Proto', 'https').send({ account: 'acme', login: 'bob', password: 'bob-password-1' });
    expect(viaTls.status).toBe(201);
    expect(viaTls.headers['set-cookie'][0]).toContain('; Secure');
    const plain = await request(srv.httpUrl).post('/api/v1/session').set('X-Forwarded-Proto', 'http').send({ account: 'acme', login: 'bob', password: 'bob-password-1' });
    expect(plain.headers['set-cookie'][0]).not.toContain('Secure');
  });

  it('ignores X-Forwarded-Proto from a client the server does not trust as a proxy', async () => {
    const untrusted = await startTestServer({ http: { trustProxy: false } });
    try {
      await seedAccount(untrusted.ctx, { id: 'acme', users: [{ username: 'bob', password: 'bob-password-1' }] });
      const res = await request(untrusted.httpUrl).post('/api/v1/session').set('X-Forwarded-Proto', 'https').send({ account: 'acme', login: 'bob', password: 'bob-password-1' });
      expect(res.status).toBe(201);
      expect(res.headers['set-cookie'][0]).not.toContain('Secure');
    } finally {
      await untrusted.close();
    }
  });
});
