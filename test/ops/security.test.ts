// Security of a production server: headers on the portal and API, /metrics behind a token or on
// its own listener, the optional HTTPS port with certificate reload, and password hashes raised
// to today's scrypt cost at the next sign-in.
import { execFileSync } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, PASSWORD_PARAMS } from '../../src/auth/passwords.ts';
import { spawnServer } from '../helpers/child-server.ts';
import { CLI_ARGS } from '../helpers/cli.ts';
import { requireProgram } from '../helpers/programs.ts';
import { METRICS_TOKEN, seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
  await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }] });
});
afterAll(async () => { await srv.close(); });

describe('security headers', () => {
  it('sends a CSP without inline script, no framing, nosniff and no referrer on the portal and the API; no HSTS over plain HTTP', async () => {
    for (const path of ['/', '/app.js', '/api/v1/me', '/no-such-page']) {
      const res = await request(srv.httpUrl).get(path);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('web/ has no inline script, inline style or event-handler attribute the CSP would block', () => {
    const web = resolve(import.meta.dirname, '../../web');
    const files = readdirSync(web, { recursive: true }).map(String).filter((f) => /\.(html|js)$/.test(f));
    expect(files.length).toBeGreaterThan(3);
    const offending = files.filter((f) => {
      const text = readFileSync(join(web, f), 'utf8');
      return /<script(?![^>]*\bsrc=)[^>]*>/i.test(text) || /\son[a-z]+\s*=\s*["']/i.test(text) || /\sstyle\s*=\s*["']/i.test(text) || /javascript:/i.test(text);
    });
    expect(offending).toEqual([]);
  });

  it('sends HSTS when a trusted proxy says the request came over HTTPS', async () => {
    const behind = await startTestServer({ http: { trustProxy: 'loopback' } });
    try {
      expect((await request(behind.httpUrl).get('/').set('X-Forwarded-Proto', 'https')).headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect((await request(behind.httpUrl).get('/')).headers['strict-transport-security']).toBeUndefined();
    } finally {
      await behind.close();
    }
    // Without a trusted proxy the header is only the client's word: no HSTS.
    expect((await request(srv.httpUrl).get('/').set('X-Forwarded-Proto', 'https')).headers['strict-transport-security']).toBeUndefined();
  });
});

describe('/metrics protection', () => {
  it('needs the metrics token on the HTTP port', async () => {
    expect((await request(srv.httpUrl).get('/metrics')).status).toBe(401);
    expect((await request(srv.httpUrl).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789')).status).toBe(401);
    const ok = await request(srv.httpUrl).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('dialbook_http_request_duration_seconds');
  });

  it('without a token is served only on the separate metrics listener', async () => {
    const s = await startTestServer({ metrics: { token: null, port: 0, host: '127.0.0.1' } });
    try {
      expect((await request(s.httpUrl).get('/metrics')).status).toBe(404);
      const res = await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('process_cpu_user_seconds_total');
      expect((await fetch(`http://127.0.0.1:${s.metricsPort}/api/v1/me`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

const hasOpenssl = requireProgram('openssl', 'openssl');
describe.skipIf(!hasOpenssl)('HTTPS listener', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const makeCert = (cn: string) => execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh TLS connection: the certificate's CN and the response headers. */
  const get = (port: number) => new Promise<{ cn: string; status: number; hsts: string | undefined }>((res, rej) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, agent: false }, (r) => {
      const cn = String((r.socket as TLSSocket).getPeerCertificate().subject.CN);
      r.resume();
      r.on('end', () => res({ cn, status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'] as string | undefined }));
    });
    req.on('error', rej);
    req.end();
  });

  it('serves the app over TLS with HSTS, and picks up a renewed certificate on reload', async () => {
    makeCert('first.example');
    const s = await startTestServer({ http: { httpsPort: 0, tlsCert: cert, tlsKey: key } });
    try {
      expect(await get(s.httpsPort!)).toEqual({ cn: 'first.example', status: 200, hsts: 'max-age=31536000; includeSubDomains' });
      makeCert('renewed.example');
      s.reloadTls();
      expect((await get(s.httpsPort!)).cn).toBe('renewed.example');
      rmSync(key);
      expect(() => s.reloadTls()).toThrow(/Cannot read the HTTPS certificate or key/);
      expect((await get(s.httpsPort!)).cn).toBe('renewed.example');
    } finally {
      await s.close();
    }
  }, 60_000);

  it('reloads the certificate on SIGHUP in `dialbook serve`', async () => {
    makeCert('before-hup.example');
    const dataDir = join(dir, 'data');
    const server = await spawnServer([...CLI_ARGS, 'serve', '--http-port', '0', '--ldap-port', '0'],
      { ...process.env, DIALBOOK_DATA_DIR: dataDir, DIALBOOK_LOG_LEVEL: 'silent', DIALBOOK_HTTP_HTTPS_PORT: '0', DIALBOOK_HTTP_TLS_CERT: cert, DIALBOOK_HTTP_TLS_KEY: key },
      /HTTPS port (\d+)/);
    try {
      expect((await get(server.port)).cn).toBe('before-hup.example');
      makeCert('after-hup.example');
      server.child.kill('SIGHUP');
      await expect.poll(async () => (await get(server.port)).cn, { timeout: 10_000 }).toBe('after-hup.example');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 180_000);

  it('refuses to start with an HTTPS port but no certificate, naming the options', async () => {
    await expect(startTestServer({ http: { httpsPort: 0 } })).rejects.toThrow(/http\.httpsPort needs http\.tlsCert and http\.tlsKey/);
  });
});

describe('password hashing', () => {
  it('hashes at N = 2^17 and upgrades an older, cheaper hash at the next successful sign-in', async () => {
    expect(PASSWORD_PARAMS.N).toBeGreaterThanOrEqual(2 ** 17);
    expect((await hashPassword('x-password-1')).split('$').slice(0, 4)).toEqual(['scrypt', String(2 ** 17), '8', '1']);
    // A hash as the previous dialbook wrote it (N = 2^14).
    const salt = randomBytes(16);
    const legacy = `scrypt$16384$8$1$${salt.toString('base64')}$${scryptSync('legacy-password-1', salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64')}`;
    expect(needsRehash(legacy)).toBe(true);
    await seedAccount(srv.ctx, { id: 'oldco', users: [{ username: 'ed', scope: 'basic' }] });
    const ed = (await srv.ctx.db.findUserByLogin('oldco', 'ed'))!;
    await srv.ctx.db.updateUser('oldco', ed.id, { passwordHash: legacy }, { id: 'test' });

    const wrong = await request(srv.httpUrl).post('/api/v1/session').send({ account: 'oldco', login: 'ed', password: 'not-it-1234' });
    expect(wrong.status).toBe(401);
    expect((await srv.ctx.db.findUserByLogin('oldco', 'ed'))!.passwordHash).toBe(legacy);

    expect((await request(srv.httpUrl).post('/api/v1/session').send({ account: 'oldco', login: 'ed', password: 'legacy-password-1' })).status).toBe(201);
    const upgraded = (await srv.ctx.db.findUserByLogin('oldco', 'ed'))!.passwordHash!;
    expect(upgraded.split('$')[1]).toBe(String(2 ** 17));
    expect(needsRehash(upgraded)).toBe(false);
    expect((await request(srv.httpUrl).post('/api/v1/session').send({ account: 'oldco', login: 'ed', password: 'legacy-password-1' })).status).toBe(201);
  }, 60_000);
});
