// Connection limits, idle timeout, message deadline (slowloris), per-address caps, bind guessing
// across connections, the entry cache's byte bound, and shutdown answering what was received.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { hasLdapUtils, ldapsearch } from './ldap-helpers.ts';
import { bindReq, RawLdap, searchReq } from './raw-ldap.ts';

const BASE = 'o=acme,dc=dialbook';
const BIND = `cn=phones,${BASE}`;
const PASSWORD = 'phone-secret-1';

const open = (port: number, localAddress = '127.0.0.1') => new Promise<Socket>((resolve) => {
  const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
  s.on('error', () => undefined);
});
const closedWithin = (s: Socket, ms: number) => new Promise<boolean>((resolve) => {
  if (s.destroyed || s.closed) return resolve(true);
  const t = setTimeout(() => resolve(false), ms);
  s.on('close', () => { clearTimeout(t); resolve(true); });
});
const metric = async (srv: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> => {
  const m = srv.ctx.metrics.getSingleMetric(name);
  const values = m ? (await m.get()).values : [];
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((sum, v) => sum + v.value, 0);
};

/** Binds and searches from a given source address; returns the surnames found. */
async function searchFrom(port: number, localAddress: string): Promise<string[]> {
  const c = await RawLdap.open(port, localAddress);
  c.write(Buffer.concat([bindReq(1, BIND, PASSWORD), searchReq(2, { base: BASE, filter: '(objectClass=*)', attributes: ['sn'] })]));
  expect((await c.result(1)).code).toBe(0);
  expect((await c.result(2)).code).toBe(0);
  c.close();
  return c.entries(2).map((e) => e.attrs!.sn[0]);
}

describe('global connection limit and idle timeout', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ ldap: { maxConnections: 2, idleTimeoutMs: 1000 } });
    await seedAccount(srv.ctx, { id: 'acme', phoneCredentials: { username: 'phones', password: PASSWORD }, contacts: [{ lastName: 'Limit', workNumber: '1001' }] });
  });
  afterAll(async () => { await srv.close(); });

  it('refuses connections beyond ldap.maxConnections', async () => {
    const a = await open(srv.ldapPort!);
    const b = await open(srv.ldapPort!);
    const c = await open(srv.ldapPort!);
    expect(await closedWithin(c, 1500)).toBe(true);
    a.destroy();
    b.destroy();
  });

  it('closes a connection idle for ldap.idleTimeoutMs', async () => {
    const s = await open(srv.ldapPort!);
    expect(await closedWithin(s, 3000)).toBe(true);
  }, 30_000);
});

describe('per-address limits', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ ldap: { maxConnections: 1000, maxConnectionsPerAddress: 50, messageDeadlineMs: 1000, entryCacheBytes: 4096 } });
    await seedAccount(srv.ctx, {
      id: 'acme',
      phoneCredentials: { username: 'phones', password: PASSWORD },
      contacts: Array.from({ length: 30 }, (_v, i) => ({ firstName: 'Pat', lastName: `Name${String(i).padStart(2, '0')}`, workNumber: `2145550${String(100 + i)}` })),
    });
  });
  afterAll(async () => { await srv.close(); });

  it('survives a slowloris of 300 sockets: others are served meanwhile, and every slow socket is closed at the deadline', async () => {
    const sockets = await Promise.all(Array.from({ length: 300 }, () => open(srv.ldapPort!)));
    // each starts a message (declared 4,096 bytes) and then sends one byte at a time
    for (const s of sockets) s.write(Buffer.from([0x30, 0x82, 0x10, 0x00]));
    const drip = setInterval(() => { for (const s of sockets) if (!s.destroyed) s.write(Buffer.from([0x04])); }, 200);
    try {
      // another host gets in and is answered while the attack runs
      expect(await searchFrom(srv.ldapPort!, '127.0.0.2')).toHaveLength(30);
      const closed = await Promise.all(sockets.map((s) => closedWithin(s, 5000)));
      expect(closed.filter(Boolean)).toHaveLength(300);
    } finally {
      clearInterval(drip);
    }
    // and the attacking address may connect again once its sockets are gone
    expect(await searchFrom(srv.ldapPort!, '127.0.0.1')).toHaveLength(30);
  }, 20_000);

  it('caps connections per source address (ldap.maxConnectionsPerAddress)', async () => {
    const held = await Promise.all(Array.from({ length: 50 }, () => open(srv.ldapPort!, '127.0.0.3')));
    const extra = await open(srv.ldapPort!, '127.0.0.3');
    expect(await closedWithin(extra, 2000)).toBe(true);
    expect(held.some((s) => s.destroyed)).toBe(false);
    expect(await searchFrom(srv.ldapPort!, '127.0.0.4')).toHaveLength(30);
    for (const s of held) s.destroy();
  });

  it('cuts off a client that sends requests but does not read the answers', async () => {
    const c = await RawLdap.open(srv.ldapPort!, '127.0.0.7');
    c.socket.pause();
    c.write(bindReq(1, BIND, PASSWORD));
    // 2,000 searches of 30 full entries each: far more than socket buffers hold
    for (let i = 0; i < 20; i++) c.write(Buffer.concat(Array.from({ length: 100 }, (_v, j) => searchReq(2 + i * 100 + j, { base: BASE, filter: '(objectClass=*)' }))));
    await new Promise((r) => setTimeout(r, 3000)); // longer than ldap.messageDeadlineMs (1 s)
    c.socket.resume();
    await c.until((x) => x.closed, 10_000);
    expect(c.replies.filter((r) => r.tag === 0x65).length).toBeLessThan(2000);
    expect(await searchFrom(srv.ldapPort!, '127.0.0.7')).toHaveLength(30);
  }, 30_000);

  it.skipIf(!hasLdapUtils)('keeps the encoded-entry cache within ldap.entryCacheBytes', async () => {
    for (const attrs of [['sn'], ['cn', 'telephoneNumber'], [], ['mail', 'sn', 'o']]) {
      const r = await ldapsearch(srv.ldapPort!, ['-D', BIND, '-w', PASSWORD, '-b', BASE, '(objectClass=*)', ...attrs]);
      expect(r.entries).toHaveLength(30);
    }
    const bytes = await metric(srv, 'dialbook_ldap_entry_cache_bytes');
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(4096);
  }, 30_000);
});

describe('bind guessing', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
    await seedAccount(srv.ctx, { id: 'acme', phoneCredentials: { username: 'phones', password: PASSWORD }, contacts: [{ lastName: 'Limit', workNumber: '1001' }] });
  });
  afterAll(async () => { await srv.close(); });

  it('checks only a few of 1,000 wrong binds from one address over 10 connections; the rest are answered busy (51)', async () => {
    const conns = await Promise.all(Array.from({ length: 10 }, () => RawLdap.open(srv.ldapPort!, '127.0.0.5')));
    conns.forEach((c, n) => c.write(Buffer.concat(Array.from({ length: 100 }, (_v, i) => bindReq(i + 1, 'phones@acme', `guess-${n}-${i}`)))));
    await Promise.all(conns.map((c) => c.until((x) => x.replies.length === 100, 60_000)));
    const codes = conns.flatMap((c) => c.replies.map((r) => r.code));
    expect(codes.filter((c) => c === 0)).toEqual([]);
    const checked = await metric(srv, 'dialbook_ldap_binds_total', { result: 'invalid' });
    const refused = await metric(srv, 'dialbook_ldap_binds_total', { result: 'refused' });
    expect(checked + refused).toBe(1000);
    expect(codes.filter((c) => c === 49)).toHaveLength(checked);
    expect(checked).toBeLessThanOrEqual(20); // 10 free failures, then one per growing delay
    const busy = conns.flatMap((c) => c.replies).find((r) => r.code === 51);
    expect(busy?.message).toMatch(/try again in \d+ seconds/);
    for (const c of conns) c.close();
    // the right password from another address still works (the login's own allowance is larger)
    expect(await searchFrom(srv.ldapPort!, '127.0.0.6')).toEqual(['Limit']);
  }, 90_000);
});

describe('shutdown', () => {
  it('answers requests already sent, says goodbye, then closes, and refuses new connections', async () => {
    // the grace covers a scrypt hash on a busy machine (the test server's 1 s would cut it)
    const srv = await startTestServer({ http: { shutdownGraceMs: 20_000 } });
    await seedAccount(srv.ctx, {
      id: 'acme',
      phoneCredentials: { username: 'phones', password: PASSWORD },
      users: [{ username: 'ann', name: 'Ann Lee', extension: '1001', password: 'ann-password-1', scope: 'basic' }],
      contacts: [{ lastName: 'Last', workNumber: '1002' }],
    });
    const port = srv.ldapPort!;
    const c = await RawLdap.open(port);
    // a user bind checks a scrypt hash (slow): the search after it is still queued at shutdown;
    // both are sent in the same instant as the stop, maybe before the server has read them
    c.write(Buffer.concat([bindReq(1, 'ann@acme', 'ann-password-1'), searchReq(2, { base: BASE, filter: '(sn=last)', attributes: ['sn'] })]));
    const closing = srv.close();
    await c.until((x) => x.closed, 20_000);
    await closing;
    expect((await c.result(1)).code).toBe(0);
    expect(c.entries(2).map((e) => e.attrs!.sn)).toEqual([['Last']]);
    expect((await c.result(2)).code).toBe(0);
    // then, owing nothing, the connection was told why it is closed (RFC 4511 4.4.1)
    expect(c.replies.at(-1)).toMatchObject({ id: 0, code: 52, name: '1.3.6.1.4.1.1466.20036' });
    const late = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(true));
      s.on('error', () => resolve(false));
    });
    expect(late).toBe(false);
  }, 30_000);
});
