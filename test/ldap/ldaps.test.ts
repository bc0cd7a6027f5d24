// LDAPS on its own port and StartTLS when a certificate is configured (made here with openssl):
// after StartTLS not one byte leaves the server in clear (read off the raw stream through a
// recording proxy), and the TLS version floor and cipher list are configurable.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { requireProgram } from '../helpers/programs.ts';
import { hasLdapUtils, parseLdif } from './ldap-helpers.ts';
import { der, RawLdap, searchReq, startTlsReq } from './raw-ldap.ts';

const run = promisify(execFile);
let srv: TestServer;
let ldapsPort: number;
let cert: string;
let key: string;
const env = { ...process.env, LDAPTLS_REQCERT: 'never' };
const BASE = 'o=acme,dc=dialbook';
// openssl makes the certificate, ldapsearch talks TLS to the server.
const hasTools = requireProgram('openssl', 'openssl') && hasLdapUtils;

beforeAll(async () => {
  if (!hasTools) return;
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-tls-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  ldapsPort = 20000 + Math.floor(Math.random() * 20000);
  srv = await startTestServer({ ldap: { ldapsPort, tlsCert: cert, tlsKey: key } });
  await seedAccount(srv.ctx, { id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' }, contacts: [{ lastName: 'Secure', workNumber: '1001' }] });
});
afterAll(async () => { await srv?.close(); });

/** A TCP proxy in front of the LDAP port that records every byte the server sends. */
async function recordingProxy(target: number): Promise<{ port: number; fromServer: () => Buffer; close: () => void }> {
  const chunks: Buffer[] = [];
  const proxy: Server = createServer((client) => {
    const upstream = tcpConnect(target, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => { chunks.push(d); client.write(d); });
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  return { port: (proxy.address() as { port: number }).port, fromServer: () => Buffer.concat(chunks), close: () => proxy.close() };
}

/** Checks that `bytes` is the StartTLS response in clear followed by nothing but TLS records. */
function expectOnlyTlsAfterStartTls(bytes: Buffer): number {
  expect(bytes[0]).toBe(0x30);
  const first = 2 + bytes[1]; // the ExtendedResponse is short: one length byte
  expect(bytes.subarray(0, first).includes(Buffer.from('1.3.6.1.4.1.1466.20037'))).toBe(true);
  let p = first;
  let records = 0;
  while (p < bytes.length) {
    expect(bytes[p], `TLS record type at byte ${p}`).toBeGreaterThanOrEqual(20);
    expect(bytes[p]).toBeLessThanOrEqual(23);
    expect(bytes[p + 1]).toBe(3);
    p += 5 + bytes.readUInt16BE(p + 3);
    records++;
  }
  expect(p).toBe(bytes.length);
  return records;
}

describe.skipIf(!hasTools)('LDAPS and StartTLS', () => {
  it('upgrades a plain connection with StartTLS (-ZZ: TLS is required), and nothing after it leaves in clear', async () => {
    const proxy = await recordingProxy(srv.ldapPort!);
    try {
      const { stdout: out } = await run('ldapsearch', ['-x', '-ZZ', '-LLL', '-H', `ldap://127.0.0.1:${proxy.port}`, '-D', 'phones@acme', '-w', 'phone-secret-1', '-b', BASE, '(sn=secure)', 'sn'], { env, encoding: 'utf8' });
      expect(parseLdif(out).map((e) => e.attrs.sn)).toEqual([['Secure']]);
      const bytes = proxy.fromServer();
      expect(expectOnlyTlsAfterStartTls(bytes)).toBeGreaterThan(2);
      expect(bytes.includes(Buffer.from('Secure'))).toBe(false);
    } finally {
      proxy.close();
    }
  });

  it('keeps error answers (a malformed message, a refused search) inside TLS after StartTLS', async () => {
    const proxy = await recordingProxy(srv.ldapPort!);
    try {
      const raw = await RawLdap.open(proxy.port);
      raw.write(startTlsReq(1));
      expect((await raw.result(1)).code).toBe(0);
      raw.socket.removeAllListeners('data');
      const secure = tlsConnect({ socket: raw.socket, rejectUnauthorized: false });
      const got: Buffer[] = [];
      secure.on('data', (d: Buffer) => got.push(d));
      await new Promise<void>((r) => secure.once('secureConnect', () => r()));
      // anonymous search of a protected account: noSuchObject; then a message that is not LDAP inside
      secure.write(searchReq(2, { base: BASE, filter: '(sn=secure)' }));
      secure.write(der.tlv(0x30, der.int(3), der.tlv(0x63, Buffer.from([0x04, 0x7f]))));
      await new Promise<void>((r) => secure.once('close', () => r()));
      const clear = Buffer.concat(got);
      expect(clear.includes(Buffer.from('1.3.6.1.4.1.1466.20036'))).toBe(true); // notice of disconnection, decrypted
      expect(clear.includes(Buffer.from('No such entry'))).toBe(true);
      const bytes = proxy.fromServer();
      expectOnlyTlsAfterStartTls(bytes);
      expect(bytes.includes(Buffer.from('1.3.6.1.4.1.1466.20036'))).toBe(false);
      expect(bytes.includes(Buffer.from('No such entry'))).toBe(false);
    } finally {
      proxy.close();
    }
  });

  it('answers searches over TLS', async () => {
    // async: the server runs in this process, a synchronous child would block it
    const { stdout: out } = await run('ldapsearch', ['-x', '-LLL', '-H', `ldaps://127.0.0.1:${ldapsPort}`, '-D', 'phones@acme', '-w', 'phone-secret-1', '-b', BASE, '(sn=secure)', 'sn'], { env, encoding: 'utf8' });
    expect(parseLdif(out).map((e) => e.attrs.sn)).toEqual([['Secure']]);
  });
});

/** The TLS version a client with these options negotiates with LDAPS, or the error. */
function handshake(port: number, opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      resolve(s.getProtocol() ?? '?');
      s.destroy();
    });
    s.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

describe.skipIf(!hasTools)('TLS settings', () => {
  it('defaults to TLS 1.2 or newer', async () => {
    expect(await handshake(ldapsPort, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await handshake(ldapsPort, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })).toMatch(/^error/);
  });

  it('applies ldap.tlsMinVersion and ldap.tlsCiphers to LDAPS and StartTLS', async () => {
    const port13 = 20000 + Math.floor(Math.random() * 20000);
    const strict = await startTestServer({ ldap: { ldapsPort: port13, tlsCert: cert, tlsKey: key, tlsMinVersion: 'TLSv1.3' } });
    const port12 = port13 + 1;
    const ciphers = await startTestServer({ ldap: { ldapsPort: port12, tlsCert: cert, tlsKey: key, tlsCiphers: 'ECDHE-RSA-AES128-GCM-SHA256' } });
    try {
      expect(await handshake(port13, { maxVersion: 'TLSv1.2' })).toMatch(/^error/);
      expect(await handshake(port13, {})).toBe('TLSv1.3');
      expect(await handshake(port12, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' })).toMatch(/^error/);
      expect(await handshake(port12, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).toBe('TLSv1.2');
      // StartTLS uses the same settings
      const raw = await RawLdap.open(strict.ldapPort!);
      raw.write(startTlsReq(1));
      expect((await raw.result(1)).code).toBe(0);
      raw.socket.removeAllListeners('data');
      const failed = await new Promise<boolean>((resolve) => {
        const s = tlsConnect({ socket: raw.socket, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => resolve(false));
        s.on('error', () => resolve(true));
      });
      expect(failed).toBe(true);
    } finally {
      await strict.close();
      await ciphers.close();
    }
  });
});

