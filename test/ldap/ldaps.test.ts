// LDAPS on its own port when a certificate is configured (made here with openssl).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { requireProgram } from '../helpers/programs.ts';
import { hasLdapUtils, parseLdif } from './ldap-helpers.ts';

// openssl makes the certificate, ldapsearch talks TLS to the server.
const hasTools = requireProgram('openssl', 'openssl') && hasLdapUtils;

let srv: TestServer;
let ldapsPort: number;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  ldapsPort = 20000 + Math.floor(Math.random() * 20000);
  srv = await startTestServer({ ldap: { ldapsPort, tlsCert: cert, tlsKey: key } });
  await seedAccount(srv.ctx, { id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' }, contacts: [{ lastName: 'Secure', workNumber: '1001' }] });
});
afterAll(async () => { await srv.close(); });

describe.skipIf(!hasTools)('LDAPS and StartTLS', () => {
  it('upgrades a plain connection with StartTLS (-ZZ: TLS is required)', async () => {
    const { stdout: out } = await promisify(execFile)('ldapsearch', ['-x', '-ZZ', '-LLL', '-H', `ldap://127.0.0.1:${srv.ldapPort}`, '-D', 'phones@acme', '-w', 'phone-secret-1', '-b', 'o=acme,dc=dialbook', '(sn=secure)', 'sn'],
      { env: { ...process.env, LDAPTLS_REQCERT: 'never' }, encoding: 'utf8' });
    expect(parseLdif(out).map((e) => e.attrs.sn)).toEqual([['Secure']]);
  });


  it('answers searches over TLS', async () => {
    // async: the server runs in this process, a synchronous child would block it
    const { stdout: out } = await promisify(execFile)('ldapsearch', ['-x', '-LLL', '-H', `ldaps://127.0.0.1:${ldapsPort}`, '-D', 'phones@acme', '-w', 'phone-secret-1', '-b', 'o=acme,dc=dialbook', '(sn=secure)', 'sn'],
      { env: { ...process.env, LDAPTLS_REQCERT: 'never' }, encoding: 'utf8' });
    expect(parseLdif(out).map((e) => e.attrs.sn)).toEqual([['Secure']]);
  });
});
