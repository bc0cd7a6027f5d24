// SIGTERM on the real `dialbook serve` process with LDAP requests in flight (issue #23, 5): every
// request the clients sent before the signal is answered (binds waiting for scrypt, requests
// still unread in socket buffers, connections still in the accept backlog), idle connections get
// a Notice of Disconnection, and the process exits 0.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { seedDataDir, startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { seedAccount, startTestServer } from '../helpers/test-server.ts';
import { bindReq, RawLdap, searchReq, type Reply } from './raw-ldap.ts';

const BASE = 'o=acme,dc=dialbook';
const NOTICE_OF_DISCONNECTION = '1.3.6.1.4.1.1466.20036';
let server: ChildServer | null = null;
let dataDir: string | null = null;
const clients: RawLdap[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  server = null;
  dataDir = null;
});

const contacts = Array.from({ length: 3000 }, (_, i) => ({
  firstName: `First${i}`, lastName: `Last${String(i).padStart(5, '0')}`, workNumber: `+1 212 55${String(i).padStart(5, '0')}`,
}));
const search = (id: number, n: number) => searchReq(id, { base: BASE, filter: `(sn=Last0${String(n).padStart(2, '0')}*)`, attributes: ['cn', 'telephoneNumber'] });

/** One request of the test: which connection, which message id, and whether it is a search. */
interface Sent { client: RawLdap; id: number; label: string; search: boolean }

describe('SIGTERM with LDAP requests in flight', () => {
  it('answers all 10 requests already sent (scrypt binds among them), says goodbye to idle connections, exits 0', async () => {
    dataDir = await seedDataDir(async (ctx) => {
      await seedAccount(ctx, {
        id: 'acme', contacts, phoneCredentials: { username: 'phones', password: 'phone-password-1' },
        users: ['alice', 'bob', 'carol'].map((username) => ({ username, password: `${username}-password-1` })),
      });
    });
    server = await startChildServer(dataDir, { shutdownGraceMs: 30_000 });
    const open = async () => {
      const c = await RawLdap.open(server!.ldapPort);
      clients.push(c);
      return c;
    };
    // A phone that bound earlier and now sends two searches; it is idle once they are answered.
    const phone = await open();
    phone.write(bindReq(1, `cn=phones,${BASE}`, 'phone-password-1'));
    expect((await phone.result(1)).code).toBe(0);
    // Connections made just now: connected in the kernel, maybe not yet accepted by the server.
    const [alice, bob, carol, late1, late2] = await Promise.all([open(), open(), open(), open(), open()]);
    const sent: Sent[] = [];
    const send = (client: RawLdap, id: number, data: Buffer, label: string) => {
      client.write(data);
      sent.push({ client, id, label, search: label.includes('search') });
    };
    send(phone, 2, search(2, 1), 'phone search 1');
    send(phone, 3, search(3, 2), 'phone search 2');
    // user binds: each needs a scrypt hash (most of a second, two at a time)
    send(alice, 1, bindReq(1, `cn=alice,${BASE}`, 'alice-password-1'), 'alice bind');
    send(bob, 1, bindReq(1, 'bob@acme', 'bob-password-1'), 'bob bind');
    send(carol, 1, bindReq(1, `cn=carol,${BASE}`, 'carol-password-1'), 'carol bind');
    send(carol, 2, search(2, 3), 'carol search after her bind');
    server.child.kill('SIGTERM');
    // In the same instant as the signal: on connections that are new (maybe still in the accept
    // backlog) or busy (alice's scrypt bind is still running).
    send(late1, 1, bindReq(1, `cn=phones,${BASE}`, 'phone-password-1'), 'late phone bind');
    send(late1, 2, search(2, 4), 'late phone search');
    send(late2, 1, bindReq(1, 'phones@acme', 'phone-password-1'), 'second late phone bind');
    send(alice, 2, search(2, 5), 'alice search sent with the signal');
    expect(sent).toHaveLength(10);

    const outcome = async (s: Sent): Promise<string> => {
      let reply: Reply;
      try {
        reply = await s.client.result(s.id, 30_000);
      } catch {
        return `${s.label}: no answer`;
      }
      const entries = s.client.entries(s.id).length;
      return `${s.label}: ${reply.code}${s.search ? ` with ${entries > 0 ? 'entries' : 'no entries'}` : ''}`;
    };
    const outcomes = await Promise.all(sent.map(outcome));
    expect(outcomes).toEqual(sent.map((s) => `${s.label}: 0${s.search ? ' with entries' : ''}`));
    expect(await server.exited).toBe(0);
    // Each connection was closed by the server after its answers; the idle ones were told why
    // first (RFC 4511 4.4.1: unavailable, the server is shutting down).
    for (const c of [phone, alice, bob, carol, late1, late2]) await c.until((x) => x.closed, 5000);
    const notice = phone.replies.find((r) => r.id === 0);
    expect(notice).toMatchObject({ name: NOTICE_OF_DISCONNECTION, code: 52 });
  }, 90_000);
});

describe('the stop, in-process', () => {
  it('answers a request whose rest arrives after the stop began; cuts a silent connection at the deadline', async () => {
    const srv = await startTestServer({ http: { shutdownGraceMs: 3000 } });
    await seedAccount(srv.ctx, { id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-password-1' }, contacts: contacts.slice(0, 5) });
    const half = await RawLdap.open(srv.ldapPort!);
    const silent = await RawLdap.open(srv.ldapPort!);
    clients.push(half, silent);
    half.write(bindReq(1, `cn=phones,${BASE}`, 'phone-password-1'));
    await half.result(1);
    const request = search(2, 0);
    half.write(request.subarray(0, 10));
    const stopped = srv.close(); // the stop has begun when close() returns
    half.write(request.subarray(10));
    expect((await half.result(2)).code).toBe(0);
    expect(half.entries(2)).toHaveLength(5);
    // owing nothing now: the goodbye, then the close
    await half.until((x) => x.closed);
    expect(half.replies.at(-1)).toMatchObject({ id: 0, code: 52, name: NOTICE_OF_DISCONNECTION });
    // a connection that never sent a byte keeps its chance until the deadline, then is cut
    await stopped;
    await silent.until((x) => x.closed);
    expect(silent.replies).toEqual([]);
  }, 30_000);
});
