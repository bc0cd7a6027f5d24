// What an app writes comes back (issue 20): the card a CardDAV PUT sends is kept beside the fields
// dialbook models, served back byte for byte while those fields are unchanged, and with only the
// changed fields rewritten after a manager's edit. Contacts without a number and dial strings are
// kept; phones skip the first and dial the number of the second. Real server, real ldapsearch.
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapsearch } from '../ldap/ldap-helpers.ts';
import { cardLines, dav, PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';

let f: DavFixture;
beforeAll(async () => {
  f = await startDavFixture();
  await f.server.ctx.phoneCredentials.set('acme', 'phones', 'phone-secret-1', { id: 'test' });
});
afterAll(async () => { await f.server.close(); });

const SHARED = '/carddav/acme/ann/shared/';
const ann = { login: 'ann@acme', password: PASSWORDS.ann }; // a manager: Shared is writable
const IPHONE = readFileSync(new URL('../../fixtures/carddav/ios/full-card.vcf', import.meta.url), 'utf8');
const put = (path: string, body: string, headers: Record<string, string> = {}) =>
  dav(f.server, 'PUT', path, { ...ann, body, headers: { 'content-type': 'text/vcard; charset=utf-8', ...headers } });
const api = (path: string) => request(f.server.httpUrl).get(path).set('Authorization', `Bearer ${f.acme.tokens.ann}`);
const contactNamed = async (lastName: string) =>
  (await api('/api/v1/accounts/acme/contacts?limit=1000')).body.items.find((c: { lastName: string }) => c.lastName === lastName);
/** Properties of a card without the ones that change on every write: name -> lines. */
const props = (card: string) => cardLines(card).filter((l) => !/^(REV|BEGIN|END)[;:]/i.test(l)).sort();

describe('an iPhone card round-trips with every property', () => {
  const name = '6E1A3C52-9B1E-4E4B-A3F0-4C7D2B1F0A11.vcf';

  it('is stored as sent: the GET body is the PUT body, and the PUT told its ETag', async () => {
    const r = await put(`${SHARED}${name}`, IPHONE, { 'if-none-match': '*' });
    expect(r.status).toBe(201);
    const got = await dav(f.server, 'GET', `${SHARED}${name}`, ann);
    expect(got.text).toBe(IPHONE);
    expect(r.headers.get('etag')).toBe(got.headers.get('etag'));
    // what phones use was read from it: the first number of each kind, the dial string's number
    const c = await contactNamed('Lindqvist');
    expect(c).toMatchObject({ firstName: 'Maja', company: 'Nordlys Medical, Cardiology', title: 'Head of Cardiology', email: 'maja.lindqvist@nordlys.example', groups: ['Doctors'] });
    expect(c.numbers.map((n: { kind: string; number: string }) => [n.kind, n.number])).toEqual([
      ['work', '+46 8 555 010 00'], ['mobile', '+46 70 555 01 01'], ['home', '+46 73 555 01 02'], ['fax', '+46 8 555 010 99'],
    ]);
  });

  it('a manager\'s edit rewrites only the fields it changed; photo, address, note, labels, middle name and the home fax stay', async () => {
    const c = await contactNamed('Lindqvist');
    const edit = await request(f.server.httpUrl).patch(`/api/v1/accounts/acme/contacts/${c.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`)
      .send({ title: 'Chief Physician', mobileNumber: '+46 70 555 09 09' });
    expect(edit.status).toBe(200);
    const got = await dav(f.server, 'GET', `${SHARED}${name}`, ann);
    const before = props(IPHONE);
    const after = props(got.text);
    expect(after.filter((l) => !before.includes(l))).toEqual(['TEL;TYPE=CELL,VOICE:+46 70 555 09 09', 'TITLE:Chief Physician'].sort());
    expect(before.filter((l) => !after.includes(l))).toEqual(['TEL;type=CELL;type=VOICE:+46 70 555 01 01', 'TITLE:Head of Cardiology'].sort());
    // the photo survived whole
    expect(cardLines(got.text).find((l) => l.startsWith('PHOTO'))).toBe(cardLines(IPHONE).find((l) => l.startsWith('PHOTO')));
  });

  it('a sync of the book carries the kept card too (address-data in a multiget)', async () => {
    const body = `<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop><d:href>${SHARED}${name}</d:href></c:addressbook-multiget>`;
    const r = await dav(f.server, 'REPORT', SHARED, { ...ann, body, depth: '1' });
    expect(r.status).toBe(207);
    expect(r.text).toContain('NICKNAME:Majsan');
    expect(r.text).toContain('X-ABADR:se');
  });
});

describe('the PUT answer\'s ETag', () => {
  it('is left out when the stored card differs from the one sent (a group spelled as the existing one), so the app reads it back', async () => {
    const card = (uid: string, group: string) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nN:Grouped;${uid};;;\r\nFN:${uid} Grouped\r\nTEL:+1 214 555 0181\r\nCATEGORIES:${group}\r\nEND:VCARD\r\n`;
    const first = await put(`${SHARED}g-1.vcf`, card('g-1', 'Plumbing'), { 'if-none-match': '*' });
    expect(first.headers.get('etag')).not.toBeNull();
    const second = await put(`${SHARED}g-2.vcf`, card('g-2', 'PLUMBING'), { 'if-none-match': '*' });
    expect(second.status).toBe(201);
    expect(second.headers.get('etag')).toBeNull();
    expect(cardLines((await dav(f.server, 'GET', `${SHARED}g-2.vcf`, ann)).text)).toContain('CATEGORIES:Plumbing');
  });
});

describe('nothing an app sends in normal use is refused', () => {
  it('takes a card without a number; apps list it, phones do not', async () => {
    const card = 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:0b7d7c1e-1111-4c1e-9d7d-000000000001\r\nFN:Mail Only\r\nN:Only;Mail;;;\r\nEMAIL:mail.only@example.test\r\nEND:VCARD\r\n';
    const r = await put(`${SHARED}urn:uuid:0b7d7c1e-1111-4c1e-9d7d-000000000001.vcf`, card, { 'if-none-match': '*' });
    expect(r.status).toBe(201);
    const listing = await dav(f.server, 'PROPFIND', SHARED, { ...ann, depth: '1' });
    expect(listing.text).toContain(encodeURIComponent('urn:uuid:0b7d7c1e-1111-4c1e-9d7d-000000000001.vcf'));
    const yealink = await request(f.server.httpUrl).get('/phonebook/acme/yealink.xml').auth('phones', 'phone-secret-1');
    expect(yealink.status).toBe(200);
    expect(yealink.text).not.toContain('Mail Only');
    expect(yealink.text).toContain('Lindqvist'); // the book is there, only the numberless entry is not
    const ldap = await ldapsearch(f.server.ldapPort!, ['-D', 'cn=phones,o=acme,dc=dialbook', '-w', 'phone-secret-1', '-b', 'o=acme,dc=dialbook', '(cn=*)', 'cn']);
    expect(ldap.code).toBe(0);
    const cns = ldap.entries.map((e) => e.attrs.cn[0]);
    expect(cns).not.toContain('Mail Only');
    expect(cns.some((cn) => cn.includes('Lindqvist'))).toBe(true);
  });

  it('keeps a dial string as entered; phones dial its number', async () => {
    const card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:dial-1\r\nN:Bridge;Conference;;;\r\nFN:Conference Bridge\r\nTEL;TYPE=WORK:+1 415 555 0100,,123456#\r\nTEL;TYPE=CELL:1-800-FLOWERS\r\nEND:VCARD\r\n';
    expect((await put(`${SHARED}dial-1.vcf`, card, { 'if-none-match': '*' })).status).toBe(201);
    expect((await dav(f.server, 'GET', `${SHARED}dial-1.vcf`, ann)).text).toBe(card);
    const ldap = await ldapsearch(f.server.ldapPort!, ['-D', 'cn=phones,o=acme,dc=dialbook', '-w', 'phone-secret-1', '-b', 'o=acme,dc=dialbook', '(sn=Bridge)', 'telephoneNumber', 'mobile']);
    expect(ldap.entries[0].attrs).toMatchObject({ telephoneNumber: ['+14155550100'], mobile: ['+18003569377'] });
  });
});
