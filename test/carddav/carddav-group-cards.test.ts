// Group cards of both styles (issue 20): DAVx5's vCard 4 KIND:group with MEMBER:urn:uuid:… (its
// default group method, AccountSettings.kt) and Apple's X-ADDRESSBOOKSERVER-KIND:group with
// X-ADDRESSBOOKSERVER-MEMBER (nuovo/vCard-parser#33, owncloud-archive/contacts#266). Each becomes
// a dialbook group with exactly the members it names; the card itself comes back as written.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardLines, dav, PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';

let f: DavFixture;
beforeAll(async () => { f = await startDavFixture(); });
afterAll(async () => { await f.server.close(); });

const bob = { login: 'bob@acme', password: PASSWORDS.bob };
const ann = { login: 'ann@acme', password: PASSWORDS.ann };
const PERSONAL = '/carddav/acme/bob/personal/';
const SHARED = '/carddav/acme/ann/shared/';
const put = (who: { login: string; password: string }, path: string, body: string, headers: Record<string, string> = {}) =>
  dav(f.server, 'PUT', path, { ...who, body, headers: { 'content-type': 'text/vcard; charset=utf-8', ...headers } });
const person = (uid: string, last: string) =>
  `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:Pat ${last}\r\nN:${last};Pat;;;\r\nTEL;TYPE=cell:+1 214 555 01${String(last.length).padStart(2, '0')}\r\nEND:VCARD\r\n`;
const davx5Group = (name: string, members: string[]) =>
  `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:group-${name}\r\nKIND:group\r\nFN:${name}\r\nN:${name};;;;\r\n${members.map((m) => `MEMBER:urn:uuid:${m}\r\n`).join('')}PRODID:DAVx5\r\nEND:VCARD\r\n`;
const mine = async () => (await request(f.server.httpUrl).get('/api/v1/me/contacts').set('Authorization', `Bearer ${f.acme.tokens.bob}`)).body.items as { lastName: string; groups: string[] }[];
const groupsOf = async (last: string) => (await mine()).find((c) => c.lastName === last)?.groups;

describe('DAVx5 group cards (KIND:group, MEMBER)', () => {
  it('a group card gives its members the group, and comes back as sent', async () => {
    for (const [uid, last] of [['m-1', 'Ames'], ['m-2', 'Bloom']]) expect((await put(bob, `${PERSONAL}${uid}.vcf`, person(uid, last), { 'if-none-match': '*' })).status).toBe(201);
    const card = davx5Group('Family', ['m-1']);
    const r = await put(bob, `${PERSONAL}group-Family.vcf`, card, { 'if-none-match': '*' });
    expect(r.status).toBe(201);
    expect((await dav(f.server, 'GET', `${PERSONAL}group-Family.vcf`, bob)).text).toBe(card);
    expect(await groupsOf('Ames')).toEqual(['Family']);
    expect(await groupsOf('Bloom')).toEqual([]);
  });

  it('an edit of the members moves the group; the member\'s own card shows it in CATEGORIES', async () => {
    const etag = (await dav(f.server, 'GET', `${PERSONAL}group-Family.vcf`, bob)).headers.get('etag')!;
    expect((await put(bob, `${PERSONAL}group-Family.vcf`, davx5Group('Family', ['m-2']), { 'if-match': etag })).status).toBe(204);
    expect(await groupsOf('Ames')).toEqual([]);
    expect(await groupsOf('Bloom')).toEqual(['Family']);
    expect(cardLines((await dav(f.server, 'GET', `${PERSONAL}m-2.vcf`, bob)).text)).toContain('CATEGORIES:Family');
    expect(cardLines((await dav(f.server, 'GET', `${PERSONAL}m-1.vcf`, bob)).text).some((l) => l.startsWith('CATEGORIES'))).toBe(false);
  });

  it('a renamed group card moves its members to the new name; a deleted one lets them go', async () => {
    let etag = (await dav(f.server, 'GET', `${PERSONAL}group-Family.vcf`, bob)).headers.get('etag')!;
    expect((await put(bob, `${PERSONAL}group-Family.vcf`, davx5Group('Kin', ['m-2']), { 'if-match': etag })).status).toBe(204);
    expect(await groupsOf('Bloom')).toEqual(['Kin']);
    etag = (await dav(f.server, 'GET', `${PERSONAL}group-Family.vcf`, bob)).headers.get('etag')!;
    expect((await dav(f.server, 'DELETE', `${PERSONAL}group-Family.vcf`, { ...bob, headers: { 'if-match': etag } })).status).toBe(204);
    expect(await groupsOf('Bloom')).toEqual([]);
    expect((await dav(f.server, 'GET', `${PERSONAL}group-Family.vcf`, bob)).status).toBe(404);
  });
});

describe('Apple group cards (X-ADDRESSBOOKSERVER-KIND:group)', () => {
  it('a Mac\'s group card in Shared makes a shared group of the contact it names', async () => {
    const member = 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Supplier;Sam;;;\r\nFN:Sam Supplier\r\nTEL;type=WORK;type=VOICE:+1 214 555 0170\r\nUID:5F0C0D6E-0001-4A2B-9C1D-000000000001\r\nEND:VCARD\r\n';
    expect((await put(ann, `${SHARED}5F0C0D6E-0001-4A2B-9C1D-000000000001.vcf`, member, { 'if-none-match': '*' })).status).toBe(201);
    const group = 'BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//Mac OS X 10.15.7//EN\r\nN:Plumbers\r\nFN:Plumbers\r\n'
      + 'X-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:5F0C0D6E-0001-4A2B-9C1D-000000000001\r\n'
      + 'REV:2026-12-07T10:00:00Z\r\nUID:5F0C0D6E-0002-4A2B-9C1D-000000000002\r\nEND:VCARD\r\n';
    expect((await put(ann, `${SHARED}5F0C0D6E-0002-4A2B-9C1D-000000000002.vcf`, group, { 'if-none-match': '*' })).status).toBe(201);
    const groups = (await request(f.server.httpUrl).get('/api/v1/accounts/acme/groups').set('Authorization', `Bearer ${f.acme.tokens.ann}`)).body;
    const list = (Array.isArray(groups) ? groups : groups.items) as { name: string; contactCount: number }[];
    expect(list.find((g) => g.name === 'Plumbers')).toMatchObject({ contactCount: 1 });
    const book = await request(f.server.httpUrl).get('/api/v1/accounts/acme/contacts?group=Plumbers').set('Authorization', `Bearer ${f.acme.tokens.ann}`);
    expect(book.body.items.map((c: { lastName: string }) => c.lastName)).toEqual(['Supplier']);
  });
});
