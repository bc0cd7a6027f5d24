// Connection limits, idle timeout and the growing delay after wrong passwords.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { hasLdapUtils, ldapsearch } from './ldap-helpers.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ ldap: { maxConnections: 2, idleTimeoutMs: 1000, failedBindDelayMs: 300 } });
  await seedAccount(srv.ctx, { id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' }, contacts: [{ lastName: 'Limit', workNumber: '1001' }] });
});
afterAll(async () => { await srv.close(); });

const open = () => new Promise<Socket>((resolve) => { const s = connect(srv.ldapPort!, '127.0.0.1', () => resolve(s)); s.on('error', () => undefined); });
const closedWithin = (s: Socket, ms: number) => new Promise<boolean>((resolve) => {
  if (s.destroyed) return resolve(true);
  const t = setTimeout(() => resolve(false), ms);
  s.on('close', () => { clearTimeout(t); resolve(true); });
});

describe('LDAP limits', () => {
  it('refuses connections beyond ldap.maxConnections', async () => {
    const a = await open();
    const b = await open();
    const c = await open();
    expect(await closedWithin(c, 1500)).toBe(true);
    a.destroy();
    b.destroy();
  });

  it('closes a connection idle for ldap.idleTimeoutMs', async () => {
    const s = await open();
    expect(await closedWithin(s, 3000)).toBe(true);
  });

  it.skipIf(!hasLdapUtils)('answers wrong passwords from the same address more and more slowly', async () => {
    // Its own server with the default idle timeout: a wrong password costs a full scrypt check
    // (N = 2^17, up to seconds on a busy machine), longer than the 1 s idle timeout above.
    const slow = await startTestServer({ ldap: { failedBindDelayMs: 300 } });
    try {
      await seedAccount(slow.ctx, { id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' }, contacts: [{ lastName: 'Limit', workNumber: '1001' }] });
      const bad = ['-D', 'phones@acme', '-w', 'wrong', '-b', 'o=acme,dc=dialbook', '(sn=limit)'];
      expect((await ldapsearch(slow.ldapPort!, bad)).code).toBe(49);
      await ldapsearch(slow.ldapPort!, bad);
      const third = Date.now();
      expect((await ldapsearch(slow.ldapPort!, bad)).code).toBe(49);
      // two earlier failures: at least 2 x 300 ms before the answer (a lower bound, not a speed)
      expect(Date.now() - third).toBeGreaterThanOrEqual(600);
      const good = await ldapsearch(slow.ldapPort!, ['-D', 'phones@acme', '-w', 'phone-secret-1', '-b', 'o=acme,dc=dialbook', '(sn=limit)', 'sn']);
      expect(good.code).toBe(0);
    } finally {
      await slow.close();
    }
  }, 60_000);
});
