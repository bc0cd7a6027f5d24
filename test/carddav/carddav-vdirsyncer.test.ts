// A real CardDAV client: vdirsyncer (Debian package; CI installs it) discovers the books from
// the server address alone, syncs each to a folder, follows changes and deletions made through
// the admin API, and uploads a personal contact that then shows in the API, LDAP and the portal.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/programs.ts';
import { hasLdapUtils, ldapsearch } from '../ldap/ldap-helpers.ts';
import { PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';

const run = promisify(execFile);
// vdirsyncer syncs the books; ldapsearch checks a card written through it reaches LDAP.
const haveVdirsyncer = requireProgram('vdirsyncer', 'vdirsyncer') && hasLdapUtils;
const BOOKS = ['shared', 'personal', 'colleagues'] as const;

let f: DavFixture;
let dir: string;

async function vdirsyncer(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('vdirsyncer', ['-c', join(dir, 'config'), ...args], { timeout: 60_000, env: { ...process.env, HOME: dir } });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`vdirsyncer ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** The synced folder of a book: file name -> content. */
function folder(book: string): Map<string, string> {
  const p = join(dir, 'local', book);
  return new Map(readdirSync(p).filter((n) => n.endsWith('.vcf')).map((n) => [n, readFileSync(join(p, n), 'utf8')]));
}

describe.skipIf(!haveVdirsyncer)('vdirsyncer (Debian package vdirsyncer) against /carddav', () => {
  beforeAll(async () => {
    f = await startDavFixture();
    dir = mkdtempSync(join(tmpdir(), 'dialbook-vdirsyncer-'));
    for (const b of BOOKS) mkdirSync(join(dir, 'local', b), { recursive: true });
    // Only the server address and the user's credentials: the books are discovered.
    writeFileSync(join(dir, 'config'), `
[general]
status_path = "${join(dir, 'status')}/"

[pair books]
a = "server"
b = "local"
collections = ["from a"]
conflict_resolution = "a wins"

[storage server]
type = "carddav"
url = "${f.server.httpUrl}/"
username = "bob@acme"
password = "${PASSWORDS.bob}"

[storage local]
type = "filesystem"
path = "${join(dir, 'local')}/"
fileext = ".vcf"
`);
  }, 60_000);
  afterAll(async () => {
    await f?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = () => request(f.server.httpUrl);
  const ann = () => `Bearer ${f.acme.tokens.ann}`;

  it('discovers the three books and syncs each with one card per contact', async () => {
    await vdirsyncer('discover');
    await vdirsyncer('sync');
    expect(folder('shared').size).toBe(3);
    expect(folder('colleagues').size).toBe(2);
    expect(folder('personal').size).toBe(0);
    const john = [...folder('shared').values()].find((c) => c.includes('FN:John Doe'))!;
    expect(john).toContain('TEL;TYPE=WORK,VOICE:+1 415 555 0100');
  }, 120_000);

  it('after one change through the admin API, exactly that card changes', async () => {
    const before = folder('shared');
    const items = (await api().get('/api/v1/accounts/acme/contacts').set('Authorization', ann())).body.items;
    const john = items.find((c: { firstName: string }) => c.firstName === 'John');
    await api().patch(`/api/v1/accounts/acme/contacts/${john.id}`).set('Authorization', ann()).send({ title: 'Chief Plumber' }).expect(200);
    await vdirsyncer('sync');
    const after = folder('shared');
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
    expect(changed).toHaveLength(1);
    expect(after.get(changed[0])).toContain('TITLE:Chief Plumber');
  }, 120_000);

  it('after a deletion, the card disappears', async () => {
    const items = (await api().get('/api/v1/accounts/acme/contacts').set('Authorization', ann())).body.items;
    const acme = items.find((c: { company: string }) => c.company === 'Acme Plumbing');
    await api().delete(`/api/v1/accounts/acme/contacts/${acme.id}`).set('Authorization', ann()).expect(204);
    await vdirsyncer('sync');
    const after = folder('shared');
    expect(after.size).toBe(2);
    expect([...after.values()].some((c) => c.includes('Acme Plumbing'))).toBe(false);
  }, 120_000);

  it('a personal contact created locally is uploaded and shows in the API, LDAP and the portal', async () => {
    writeFileSync(join(dir, 'local', 'personal', 'from-laptop.vcf'),
      'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:from-laptop\r\nN:Laptop;Lena;;;\r\nFN:Lena Laptop\r\nTEL;TYPE=CELL:+1 650 555 0142\r\nEMAIL:lena@laptop.test\r\nEND:VCARD\r\n');
    await vdirsyncer('sync');
    // Admin API, as Bob's token
    const mine = (await api().get('/api/v1/me/contacts').set('Authorization', `Bearer ${f.acme.tokens.bob}`)).body.items;
    expect(mine).toEqual([expect.objectContaining({ firstName: 'Lena', lastName: 'Laptop', mobileNumber: '+1 650 555 0142', email: 'lena@laptop.test' })]);
    // LDAP, bound as Bob: his personal contact is in his directory
    const r = await ldapsearch(f.server.ldapPort!, ['-D', 'cn=bob,o=acme,dc=dialbook', '-w', PASSWORDS.bob, '-b', 'o=acme,dc=dialbook', '(sn=laptop)', 'cn', 'mobile']);
    expect(r.code).toBe(0);
    expect(r.entries.map((e) => e.attrs.cn?.[0])).toEqual(['Lena Laptop']);
    // The portal: Bob signs in with his password and reads his directory
    const agent = request.agent(f.server.httpUrl);
    await agent.post('/api/v1/session').send({ account: 'acme', login: 'bob', password: PASSWORDS.bob }).expect(201);
    const dirItems = (await agent.get('/api/v1/me/directory?source=personal')).body.items;
    expect(dirItems.map((c: { lastName: string }) => c.lastName)).toEqual(['Laptop']);
    // A second sync changes nothing locally, and the server kept the client's file name and UID.
    await vdirsyncer('sync');
    expect(folder('personal').get('from-laptop.vcf')).toContain('UID:from-laptop');
    expect(folder('personal').size).toBe(1);
  }, 120_000);
});
