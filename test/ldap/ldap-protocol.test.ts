// LDAP beyond plain searches: VLV (Polycom), write refusal, malformed input, an ldapjs client,
// and changes made through the store showing up at once.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import ldap from 'ldapjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { hasLdapUtils, ldapsearch, ldapsearchFirstWindow } from './ldap-helpers.ts';

const run = promisify(execFile);
let srv: TestServer;
let port: number;
const BASE = 'o=acme,dc=dialbook';
const PHONE = ['-D', `cn=phones,${BASE}`, '-w', 'phone-secret-1'];
const SURNAMES = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans', 'Fox', 'Green', 'Hill', 'Irwin', 'Jones'];

beforeAll(async () => {
  srv = await startTestServer();
  port = srv.ldapPort!;
  await seedAccount(srv.ctx, {
    id: 'acme',
    settings: { showUsersInDirectory: false },
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: SURNAMES.map((sn, i) => ({ firstName: 'Pat', lastName: sn, workNumber: `21455501${String(i).padStart(2, '0')}` })),
  });
});
afterAll(async () => { await srv.close(); });

const sns = (r: { entries: { attrs: Record<string, string[]> }[] }) => r.entries.map((e) => e.attrs.sn?.[0]);

describe.skipIf(!hasLdapUtils)('virtual list view', () => {
  it('returns the window around an offset, with the sort control it needs', async () => {
    const r = await ldapsearchFirstWindow(port, [...PHONE, '-b', BASE, '-E', 'sss=sn', '-E', 'vlv=1/2/4/0', '(objectClass=person)', 'sn']);
    expect(r.stdout).toContain('vlvResultpos=4 count=10');
    expect(sns(r)).toEqual(['Clark', 'Davis', 'Evans', 'Fox']);
  });

  it('jumps to the first entry at or after a typed value', async () => {
    const r = await ldapsearchFirstWindow(port, [...PHONE, '-b', BASE, '-E', 'sss=sn', '-E', 'vlv=0/2:h', '(objectClass=person)', 'sn']);
    expect(sns(r)).toEqual(['Hill', 'Irwin', 'Jones']);
  });
});

describe.skipIf(!hasLdapUtils)('read-only and robust', () => {
  it('answers writes with unwillingToPerform (53)', async () => {
    const found = await ldapsearch(port, [...PHONE, '-b', BASE, '(sn=adams)', '1.1']);
    const dn = found.entries[0].dn;
    const del = await run('ldapdelete', ['-x', '-H', `ldap://127.0.0.1:${port}`, ...PHONE, dn]).then(() => 0, (e) => e.code);
    expect(del).toBe(53);
    const still = await ldapsearch(port, [...PHONE, '-b', BASE, '(sn=adams)', '1.1']);
    expect(still.entries).toHaveLength(1);
  });

  it('closes a connection that sends garbage, and keeps serving others', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => sock.write(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01, 0x63, 0x00, 0xde, 0xad])));
      sock.on('close', () => resolve(true));
      sock.on('error', () => undefined);
      setTimeout(() => { sock.destroy(); resolve(false); }, 3000);
      sock.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    });
    expect(closed).toBe(true);
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '(sn=baker)', 'sn']);
    expect(sns(r)).toEqual(['Baker']);
  });

  it('refuses StartTLS when no certificate is configured', async () => {
    const r = await ldapsearch(port, ['-ZZ', ...PHONE, '-b', BASE, '(sn=baker)', 'sn']);
    expect(r.code).not.toBe(0);
    expect(r.entries).toEqual([]);
  });

  it('shows a change made through the store in the very next search', async () => {
    await srv.ctx.db.createContact('acme', { source: 'shared' }, prepareContact({ lastName: 'Newcomb', workNumber: '2145559999' }, 'US'), { id: 'test' });
    const r = await ldapsearch(port, [...PHONE, '-b', BASE, '(telephoneNumber=+12145559999)', 'sn']);
    expect(sns(r)).toEqual(['Newcomb']);
  });
});

describe('ldapjs client', () => {
  it('binds with user@account and searches', async () => {
    const client = ldap.createClient({ url: `ldap://127.0.0.1:${port}` });
    try {
      await new Promise<void>((res, rej) => client.bind('phones@acme', 'phone-secret-1', (e) => (e ? rej(e) : res())));
      const entries = await new Promise<Record<string, unknown>[]>((res, rej) => {
        client.search(BASE, { filter: '(|(sn=cla*)(cn=cla*))', scope: 'sub', attributes: ['sn', 'telephoneNumber'] }, (err, s) => {
          if (err) return rej(err);
          const out: Record<string, unknown>[] = [];
          s.on('searchEntry', (e) => out.push(Object.fromEntries(e.pojo.attributes.map((a: { type: string; values: string[] }) => [a.type, a.values]))));
          s.on('error', rej);
          s.on('end', () => res(out));
        });
      });
      expect(entries).toEqual([{ sn: ['Clark'], telephoneNumber: ['+12145550102'] }]);
      const bad = await new Promise<number>((res) => client.bind('phones@acme', 'nope', (e) => res((e as unknown as { code: number })?.code ?? 0)));
      expect(bad).toBe(49);
    } finally {
      client.destroy();
    }
  });
});
