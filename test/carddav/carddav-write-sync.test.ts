// CardDAV writes (PUT/DELETE through the admin API's validation and revision checks) and
// sync-collection over the change feed, with raw XML; plus sign-in and account isolation.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { openSqliteAsyncStore } from '../../src/store/sqlite/sqlite-async-store.ts';
import { databaseFile } from '../../src/store/sqlite/sqlite-store.ts';
import { cardLines, dav, multistatus, PASSWORDS, PROP_ETAG_DATA, startDavFixture, type DavFixture } from './carddav-helpers.ts';

let f: DavFixture;
beforeAll(async () => { f = await startDavFixture(); });
afterAll(async () => { await f.server.close(); });

const C = (n: string) => `{urn:ietf:params:xml:ns:carddav}${n}`;
const PERSONAL = '/carddav/acme/bob/personal/';
const bob = { login: 'bob@acme', password: PASSWORDS.bob };

const card = (uid: string, fn: string, extra = '') =>
  `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nN:${fn.split(' ')[1]};${fn.split(' ')[0]};;;\r\nFN:${fn}\r\n${extra}TEL;TYPE=CELL:+44 20 7946 0018\r\nEND:VCARD\r\n`;
const put = (path: string, body: string, headers: Record<string, string>, who: { login: string; password: string } = bob) =>
  dav(f.server, 'PUT', path, { ...who, body, headers: { 'content-type': 'text/vcard; charset=utf-8', ...headers } });

const syncBody = (token: string) => `<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/><c:address-data/></d:prop></d:sync-collection>`;

describe('PUT and DELETE', () => {
  it('creates a personal contact under the client\'s name and UID, visible to the admin API, kept out of the change history', async () => {
    const sent = card('client-uid-1', 'Carla Client', 'ORG:Client Co\r\nEMAIL:carla@client.test\r\nNOTE:kept\r\nCATEGORIES:Friends\r\n');
    const r = await put(`${PERSONAL}client-uid-1.vcf`, sent, { 'if-none-match': '*' });
    expect(r.status).toBe(201);
    const got = await dav(f.server, 'GET', `${PERSONAL}client-uid-1.vcf`, bob);
    expect(got.status).toBe(200);
    // the card comes back as sent, so the PUT told its ETag and the app need not read it back
    expect(got.text).toBe(sent);
    expect(r.headers.get('etag')).toBe(got.headers.get('etag'));
    const api = await request(f.server.httpUrl).get('/api/v1/me/contacts').set('Authorization', `Bearer ${f.acme.tokens.bob}`);
    const item = api.body.items.find((c: { lastName: string }) => c.lastName === 'Client');
    expect(item).toMatchObject({ firstName: 'Carla', company: 'Client Co', mobileNumber: '+44 20 7946 0018', email: 'carla@client.test', groups: ['Friends'] });
    expect(item.createdBy).toBe(`user:${f.acme.users.bob.id}:bob`);
    // a personal contact is the user's own: nothing of it in the history managers read
    expect(await f.server.ctx.db.listAudit('acme', { limit: 5, contactId: item.id })).toEqual([]);
    // Ann (another user) does not see it.
    const ann = await dav(f.server, 'GET', `/carddav/acme/ann/personal/client-uid-1.vcf`);
    expect(ann.status).toBe(404);
  });

  it('updates with If-Match, refuses a stale ETag with 412 and leaves the contact unchanged', async () => {
    await put(`${PERSONAL}u2.vcf`, card('u2', 'Dan Before'), { 'if-none-match': '*' });
    const first = await dav(f.server, 'GET', `${PERSONAL}u2.vcf`, bob);
    const etag = first.headers.get('etag')!;
    const ok = await put(`${PERSONAL}u2.vcf`, card('u2', 'Dan After'), { 'if-match': etag });
    expect(ok.status).toBe(204);
    const stale = await put(`${PERSONAL}u2.vcf`, card('u2', 'Dan Stale'), { 'if-match': etag });
    expect(stale.status).toBe(412);
    const now = await dav(f.server, 'GET', `${PERSONAL}u2.vcf`, bob);
    expect(cardLines(now.text)).toContain('FN:Dan After');
    expect(now.headers.get('etag')).not.toBe(etag);
    const again = await put(`${PERSONAL}u2.vcf`, card('u2', 'Dan Again'), { 'if-none-match': '*' });
    expect(again.status).toBe(412);
  });

  it('accepts a vCard 4.0 card with tel: URIs, reads its numbers, and serves it back as sent (the version the app wrote)', async () => {
    const v4 = 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4b2c0e5e-0000-4000-8000-000000000001\r\nFN:Vera Four\r\nN:Four;Vera;;;\r\n'
      + 'TEL;VALUE=uri;TYPE="home,voice":tel:+33-1-42-68-53-00\r\nTEL;VALUE=uri;TYPE=work:tel:+1-415-555-0100;ext=42\r\nEND:VCARD\r\n';
    expect((await put(`${PERSONAL}vera.vcf`, v4, { 'if-none-match': '*' })).status).toBe(201);
    expect((await dav(f.server, 'GET', `${PERSONAL}vera.vcf`, bob)).text).toBe(v4);
    expect((await dav(f.server, 'GET', `${PERSONAL}vera.vcf`, { ...bob, headers: { accept: 'text/vcard; version=4.0' } })).text).toBe(v4);
    const api = await request(f.server.httpUrl).get('/api/v1/me/contacts').set('Authorization', `Bearer ${f.acme.tokens.bob}`);
    expect(api.body.items.find((c: { lastName: string }) => c.lastName === 'Four')).toMatchObject({ homeNumber: '+33-1-42-68-53-00', workNumber: '+1-415-555-0100 x42' });
  });

  it('keeps a number phones cannot dial in the card only; refuses what is no vCard, and a second card with the same UID', async () => {
    const odd = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bad\r\nFN:No Number\r\nN:Number;No;;;\r\nTEL;TYPE=WORK:call me maybe\r\nEND:VCARD\r\n';
    const kept = await put(`${PERSONAL}bad.vcf`, odd, { 'if-none-match': '*' });
    expect(kept.status).toBe(201);
    expect((await dav(f.server, 'GET', `${PERSONAL}bad.vcf`, bob)).text).toBe(odd);
    const api = await request(f.server.httpUrl).get('/api/v1/me/contacts').set('Authorization', `Bearer ${f.acme.tokens.bob}`);
    expect(api.body.items.find((c: { lastName: string }) => c.lastName === 'Number')).toMatchObject({ workNumber: '', numbers: [] });
    const notCard = await put(`${PERSONAL}junk.vcf`, 'hello', {});
    expect(notCard.status).toBe(400);
    expect(notCard.text).toContain('not a vCard');
    const dup = await put(`${PERSONAL}other-name.vcf`, card('u2', 'Dup Licate'), { 'if-none-match': '*' });
    expect(dup.status).toBe(409);
    expect(dup.text).toContain('no-uid-conflict');
    // RFC 6352 6.3.2.1: the condition names the card that has the UID
    expect(dup.text).toMatch(new RegExp(`<card:no-uid-conflict><d:href>${PERSONAL}u2\\.vcf</d:href></card:no-uid-conflict>`));
    expect((await dav(f.server, 'GET', `${PERSONAL}junk.vcf`, bob)).status).toBe(404);
  });

  it('creates one card when several PUTs with one UID arrive at once, and answers the others 409', async () => {
    // Signed in once, so that the four PUTs skip the password hash and arrive together; card
    // lookups take a while, as on a server database: every PUT finds no card of its name and asks
    // the store to create it, which refuses the UID to all but the first (in its transaction).
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { ...bob, depth: '0' })).status).toBe(207);
    const db = f.server.ctx.db;
    const lookup = db.findContactIdsByCard;
    db.findContactIdsByCard = async (...args) => {
      const ids = await lookup(...args);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the answer is on its way back
      return ids;
    };
    let all;
    try {
      all = await Promise.all([1, 2, 3, 4].map((i) => put(`${PERSONAL}race-${i}.vcf`, card('race-uid', `Race Runner${i}`), { 'if-none-match': '*' })));
    } finally {
      db.findContactIdsByCard = lookup;
    }
    expect(all.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const found = await Promise.all([1, 2, 3, 4].map((i) => dav(f.server, 'GET', `${PERSONAL}race-${i}.vcf`, bob)));
    expect(found.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('answers PUTs of one new name arriving at once as if they came one after another: 201, then 204 or 412', async () => {
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { ...bob, depth: '0' })).status).toBe(207);
    const db = f.server.ctx.db;
    const lookup = db.findContactIdsByCard;
    db.findContactIdsByCard = async (...args) => {
      const ids = await lookup(...args);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return ids;
    };
    let plain;
    let guarded;
    try {
      plain = await Promise.all([1, 2, 3].map((i) => put(`${PERSONAL}same-name.vcf`, card(`same-name-${i}`, `Same Name${i}`), {})));
      guarded = await Promise.all([1, 2, 3].map((i) => put(`${PERSONAL}same-guarded.vcf`, card(`same-guarded-${i}`, `Same Guarded${i}`), { 'if-none-match': '*' })));
    } finally {
      db.findContactIdsByCard = lookup;
    }
    expect(plain.map((r) => r.status).sort()).toEqual([201, 204, 204]);
    expect(guarded.map((r) => r.status).sort()).toEqual([201, 412, 412]);
    expect(await db.findContactIdsByCard('acme', { name: 'same-name.vcf' })).toHaveLength(1);
    expect(await db.findContactIdsByCard('acme', { name: 'same-guarded.vcf' })).toHaveLength(1);
  });

  it('refuses a UID another instance gave a card between this PUT\'s read and its write, naming that card', async () => {
    const other = openSqliteAsyncStore(databaseFile({ dataDir: f.server.dataDir }));
    const db = f.server.ctx.db;
    const lookup = db.findContactIdsByCard;
    db.findContactIdsByCard = async (...args) => {
      const ids = await lookup(...args);
      db.findContactIdsByCard = lookup;
      // the other instance creates its card now: this PUT has just found the name free
      await other.createContactWithCard('acme', { source: 'personal', userId: f.acme.users.bob.id },
        prepareContact({ firstName: 'Other', lastName: 'Instance', workNumber: '+1 415 555 0188' }, 'US'), { id: 'test' }, { name: 'elsewhere.vcf', uid: 'shared-uid' });
      return ids;
    };
    try {
      const r = await put(`${PERSONAL}here.vcf`, card('shared-uid', 'Here Too'), { 'if-none-match': '*' });
      expect(r.status).toBe(409);
      expect(r.text).toContain(`<d:href>${PERSONAL}elsewhere.vcf</d:href>`);
    } finally {
      db.findContactIdsByCard = lookup;
      await other.close();
    }
    expect((await dav(f.server, 'GET', `${PERSONAL}here.vcf`, bob)).status).toBe(404);
    expect((await dav(f.server, 'GET', `${PERSONAL}elsewhere.vcf`, bob)).status).toBe(200);
  });

  it('keeps the shared book read-only for a basic user and writable for a manager', async () => {
    const ro = await put('/carddav/acme/bob/shared/x.vcf', card('x', 'Read Only'), { 'if-none-match': '*' });
    expect(ro.status).toBe(403);
    expect(ro.text).toContain('read-only');
    const mgr = await put('/carddav/acme/ann/shared/x.vcf', card('x', 'Shared New'), { 'if-none-match': '*' }, { login: 'ann@acme', password: PASSWORDS.ann });
    expect(mgr.status).toBe(201);
    const list = await request(f.server.httpUrl).get('/api/v1/accounts/acme/contacts?q=shared').set('Authorization', `Bearer ${f.acme.tokens.ann}`);
    expect(list.body.items.map((c: { lastName: string }) => c.lastName)).toContain('New');
    const colleagues = await put('/carddav/acme/ann/colleagues/y.vcf', card('y', 'No Way'), {}, { login: 'ann@acme', password: PASSWORDS.ann });
    expect(colleagues.status).toBe(403);
  });

  it('deletes with If-Match (412 when stale) through the admin path', async () => {
    await put(`${PERSONAL}del.vcf`, card('del', 'Gone Soon'), { 'if-none-match': '*' });
    const etag = (await dav(f.server, 'GET', `${PERSONAL}del.vcf`, bob)).headers.get('etag')!;
    expect((await dav(f.server, 'DELETE', `${PERSONAL}del.vcf`, { ...bob, headers: { 'if-match': '"1-stale"' } })).status).toBe(412);
    expect((await dav(f.server, 'DELETE', `${PERSONAL}del.vcf`, { ...bob, headers: { 'if-match': etag } })).status).toBe(204);
    expect((await dav(f.server, 'GET', `${PERSONAL}del.vcf`, bob)).status).toBe(404);
    expect((await dav(f.server, 'DELETE', `${PERSONAL}del.vcf`, bob)).status).toBe(404);
  });
});

describe('addressbook-multiget of names the app chose', () => {
  it('finds every card of the book by its own name in one request, and no other book\'s', async () => {
    // apps name their cards (a UUID .vcf); Thunderbird's first sync multigets them all at once
    const names = ['4f1c0e2a-0001.vcf', '4f1c0e2a-0002.vcf'];
    for (const [i, n] of names.entries()) expect((await put(`${PERSONAL}${n}`, card(`mg-${i}`, `Multi Get${i}`), { 'if-none-match': '*' })).status).toBe(201);
    const annName = '4f1c0e2a-0003.vcf';
    expect((await put(`/carddav/acme/ann/personal/${annName}`, card('mg-ann', 'Ann Only'), { 'if-none-match': '*' }, { login: 'ann@acme', password: PASSWORDS.ann })).status).toBe(201);
    const hrefs = [...names, annName, 'nobody-4f1c.vcf'].map((n) => `<d:href>${PERSONAL}${n}</d:href>`).join('');
    const r = await dav(f.server, 'REPORT', PERSONAL, { ...bob, body: `<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop>${hrefs}</c:addressbook-multiget>` });
    expect(r.status).toBe(207);
    const res = multistatus(r.text).responses;
    const found = res.filter((x) => x.props.size > 0);
    expect(found.map((x) => x.href).sort()).toEqual(names.map((n) => `${PERSONAL}${n}`).sort());
    expect(found.every((x) => cardLines(x.props.get(C('address-data'))!.text).some((l) => l.startsWith('FN:Multi Get')))).toBe(true);
    // ann's card under bob's book, and a name nobody has: 404
    expect(res.filter((x) => x.status === 'HTTP/1.1 404 Not Found').map((x) => x.href).sort())
      .toEqual([`${PERSONAL}${annName}`, `${PERSONAL}nobody-4f1c.vcf`].sort());
  });
});

describe('sync-collection', () => {
  it('gives everything first, then only what changed, including deletions, then nothing', async () => {
    const SHARED = '/carddav/acme/ann/shared/';
    const first = await dav(f.server, 'REPORT', SHARED, { body: syncBody('') });
    expect(first.status).toBe(207);
    const initial = multistatus(first.text);
    const count = initial.responses.length;
    expect(count).toBe((await f.server.ctx.db.queryContacts('acme', { visibility: { shared: true, users: false, personalOf: null }, limit: 1000 })).contacts.length);
    expect(initial.syncToken).toMatch(/^http:\/\/dialbook\.org\/ns\/sync\/[0-9a-f]{24}\/r\d+$/);

    const nothing = multistatus((await dav(f.server, 'REPORT', SHARED, { body: syncBody(initial.syncToken!) })).text);
    expect(nothing.responses).toHaveLength(0);
    expect(nothing.syncToken).toBe(initial.syncToken);

    // One change through the admin API, one deletion, one personal contact of Bob (not in this book).
    const items = (await request(f.server.httpUrl).get('/api/v1/accounts/acme/contacts').set('Authorization', `Bearer ${f.acme.tokens.ann}`)).body.items;
    const john = items.find((c: { firstName: string }) => c.firstName === 'John');
    const zoe = items.find((c: { firstName: string }) => c.firstName === 'Zoë');
    await request(f.server.httpUrl).patch(`/api/v1/accounts/acme/contacts/${john.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`).send({ title: 'Boss' }).expect(200);
    await request(f.server.httpUrl).delete(`/api/v1/accounts/acme/contacts/${zoe.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`).expect(204);
    await put(`${PERSONAL}sync-p.vcf`, card('sync-p', 'Private Person'), { 'if-none-match': '*' });

    const delta = multistatus((await dav(f.server, 'REPORT', SHARED, { body: syncBody(initial.syncToken!) })).text);
    const changed = delta.responses.filter((r) => r.props.size > 0);
    expect(changed.map((r) => r.href)).toEqual([`${SHARED}${john.id}.vcf`]);
    expect(cardLines(changed[0].props.get(C('address-data'))!.text)).toContain('TITLE:Boss');
    const deleted = delta.responses.filter((r) => r.status === 'HTTP/1.1 404 Not Found').map((r) => r.href);
    expect(deleted).toEqual([`${SHARED}${zoe.id}.vcf`]);
    expect(delta.syncToken).not.toBe(initial.syncToken);
    expect(delta.responses.some((r) => r.href.includes('sync-p'))).toBe(false);

    // A group rename changes CATEGORIES: reported, with a new ETag.
    const groups = (await request(f.server.httpUrl).get('/api/v1/accounts/acme/groups').set('Authorization', `Bearer ${f.acme.tokens.ann}`)).body.items;
    const vendors = groups.find((g: { name: string }) => g.name === 'Vendors');
    await request(f.server.httpUrl).patch(`/api/v1/accounts/acme/groups/${vendors.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`).send({ name: 'Suppliers' }).expect(200);
    const renamed = multistatus((await dav(f.server, 'REPORT', SHARED, { body: syncBody(delta.syncToken!) })).text);
    expect(renamed.responses).toHaveLength(1);
    expect(cardLines(renamed.responses[0].props.get(C('address-data'))!.text)).toContain('CATEGORIES:Suppliers,Sales');
  });

  it('shows a write by another process at once, to a sync and a listing, though the read model checks only every 250 ms', async () => {
    const SHARED = '/carddav/acme/ann/shared/';
    const start = multistatus((await dav(f.server, 'REPORT', SHARED, { body: syncBody('') })).text).syncToken!;
    // another instance on the same database: its write sends this server's read model no notice
    const other = openSqliteAsyncStore(databaseFile({ dataDir: f.server.dataDir }));
    let id: string;
    try {
      id = (await other.createContact('acme', { source: 'shared' }, prepareContact({ firstName: 'Elsewhere', lastName: 'Written', workNumber: '+1 415 555 0166' }, 'US'), { id: 'test' })).id;
    } finally {
      await other.close();
    }
    const delta = multistatus((await dav(f.server, 'REPORT', SHARED, { body: syncBody(start) })).text);
    expect(delta.responses.map((r) => r.href)).toEqual([`${SHARED}${id}.vcf`]);
    const listing = multistatus((await dav(f.server, 'PROPFIND', SHARED, { depth: '1', body: PROP_ETAG_DATA })).text);
    expect(listing.responses.map((r) => r.href)).toContain(`${SHARED}${id}.vcf`);
  });

  it('reports a deleted app-created card under its own name, in its own book only', async () => {
    const tokenOf = async (path: string, who = {}) => multistatus((await dav(f.server, 'REPORT', path, { ...who, body: syncBody('') })).text).syncToken!;
    await put(`${PERSONAL}gone-soon.vcf`, card('gone-soon', 'Temp Orary'), { 'if-none-match': '*' });
    const bobToken = await tokenOf(PERSONAL, bob);
    const annToken = await tokenOf('/carddav/acme/ann/shared/');
    expect((await dav(f.server, 'DELETE', `${PERSONAL}gone-soon.vcf`, bob)).status).toBe(204);
    const mine = multistatus((await dav(f.server, 'REPORT', PERSONAL, { ...bob, body: syncBody(bobToken) })).text);
    expect(mine.responses.map((r) => [r.href, r.status])).toEqual([[`${PERSONAL}gone-soon.vcf`, 'HTTP/1.1 404 Not Found']]);
    const theirs = multistatus((await dav(f.server, 'REPORT', '/carddav/acme/ann/shared/', { body: syncBody(annToken) })).text);
    expect(theirs.responses).toEqual([]);
  });

  it('answers DAV:valid-sync-token for tokens it does not know or no longer keeps', async () => {
    for (const token of ['http://dialbook.org/ns/sync/999999999', 'urn:other:1', 'http://dialbook.org/ns/sync/abc', 'http://dialbook.org/ns/sync/000000000000000000000000/1']) {
      const r = await dav(f.server, 'REPORT', '/carddav/acme/ann/shared/', { body: syncBody(token) });
      expect(r.status).toBe(400);
      expect(r.text).toContain('valid-sync-token');
    }
    const start = multistatus((await dav(f.server, 'REPORT', '/carddav/acme/ann/shared/', { body: syncBody('') })).text).syncToken!;
    // a token of this account from before revisions: its number is a change-log id, not a revision
    const beforeRevisions = await dav(f.server, 'REPORT', '/carddav/acme/ann/shared/', { body: syncBody(start.replace(/\/r(\d+)$/, '/$1')) });
    expect(beforeRevisions.status).toBe(400);
    expect(beforeRevisions.text).toContain('valid-sync-token');
    await request(f.server.httpUrl).post('/api/v1/accounts/acme/contacts').set('Authorization', `Bearer ${f.acme.tokens.ann}`).send({ firstName: 'Late', workNumber: '+1 415 555 0177' }).expect(201);
    await f.server.ctx.db.pruneChangeLog(Math.floor(Date.now() / 1000) + 10);
    const r = await dav(f.server, 'REPORT', '/carddav/acme/ann/shared/', { body: syncBody(start) });
    expect(r.status).toBe(400);
    expect(r.text).toContain('valid-sync-token');
  });
});

describe('sync after an import', () => {
  // A batch whose new contacts are at least half of the account is one change of the whole book in
  // the feed: the app's next sync reports every card of the book, and its token stays valid; a
  // small import is reported card by card.
  const importCsv = (rows: string[]) => request(f.server.httpUrl).post('/api/v1/accounts/acme/contacts/import?mode=add')
    .set('Authorization', `Bearer ${f.acme.tokens.ann}`).set('Content-Type', 'text/csv')
    .send(['First Name,Last Name,Work Number', ...rows].join('\r\n') + '\r\n');
  const BOOK = '/carddav/acme/ann/shared/';
  const sync = async (token: string) => dav(f.server, 'REPORT', BOOK, { body: syncBody(token) });

  it('reports a small import card by card and the whole book after a big one', async () => {
    const before = multistatus((await sync('')).text);
    const small = await importCsv(['Sync,One,+1 415 555 0101', 'Sync,Two,+1 415 555 0102']).expect(200);
    expect(small.body.counts.created).toBe(2);
    const delta = multistatus((await sync(before.syncToken!)).text);
    expect(delta.responses).toHaveLength(2);
    // both as cards (address data), none as deletions
    expect(delta.responses.filter((r) => r.status === null && r.props.has(C('address-data')))).toHaveLength(2);

    const big = await importCsv(Array.from({ length: 1500 }, (_, i) => `Bulk,Person ${i},+1 415 556 ${String(1000 + i)}`)).expect(200);
    expect(big.body.counts.created).toBe(1500);
    const after = await sync(delta.syncToken!);
    expect(after.status).toBe(207);
    const fresh = multistatus(after.text);
    expect(fresh.responses.length).toBe(before.responses.length + 2 + 1500);
    expect(fresh.responses.every((r) => r.status === null && r.props.has(C('address-data')))).toBe(true);
    // and from the new token on, card by card again
    await importCsv(['Sync,Three,+1 415 555 0103']).expect(200);
    expect(multistatus((await sync(fresh.syncToken!)).text).responses).toHaveLength(1);
  });
});

describe('sign-in and isolation', () => {
  it('asks for Basic credentials and refuses wrong ones', async () => {
    const none = await dav(f.server, 'PROPFIND', '/carddav/', { auth: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Basic');
    expect((await dav(f.server, 'PROPFIND', '/carddav/', { login: 'ann@acme', password: 'wrong-password' })).status).toBe(401);
    expect((await dav(f.server, 'PROPFIND', '/carddav/', { login: 'ann', password: PASSWORDS.ann })).status).toBe(401);
    expect((await dav(f.server, 'PROPFIND', '/carddav/', { login: 'ann@acme.test@acme', password: PASSWORDS.ann, depth: '0' })).status).toBe(207);
  });

  it('accepts an app password and stops accepting it once revoked (more in carddav-app-passwords.test.ts)', async () => {
    // app passwords are made from a portal session (test/api/credentials.test.ts)
    const portal = request.agent(f.server.httpUrl);
    const { csrf } = (await portal.post('/api/v1/session').send({ account: 'acme', login: 'bob', password: PASSWORDS.bob }).expect(201)).body;
    const created = await portal.post(`/api/v1/accounts/acme/users/${f.acme.users.bob.id}/tokens`).set('X-CSRF-Token', csrf).send({ label: 'iPhone' }).expect(201);
    const ok = await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: created.body.token, depth: '0' });
    expect(ok.status).toBe(207);
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'ann@acme', password: created.body.token, depth: '0' })).status).toBe(401);
    await request(f.server.httpUrl).delete(`/api/v1/accounts/acme/tokens/${created.body.id}`).set('Authorization', `Bearer ${f.acme.tokens.bob}`).expect(204);
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: created.body.token, depth: '0' })).status).toBe(401);
  });

  it('stops accepting a remembered password as soon as it changes', async () => {
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { ...bob, depth: '0' })).status).toBe(207);
    await request(f.server.httpUrl).patch(`/api/v1/accounts/acme/users/${f.acme.users.bob.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`).send({ password: 'bob-new-password' }).expect(200);
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { ...bob, depth: '0' })).status).toBe(401);
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: 'bob-new-password', depth: '0' })).status).toBe(207);
    await request(f.server.httpUrl).patch(`/api/v1/accounts/acme/users/${f.acme.users.bob.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`).send({ password: PASSWORDS.bob }).expect(200);
  });

  it('never shows another account or another user\'s books', async () => {
    const eve = { login: 'eve@globex', password: PASSWORDS.eve };
    for (const path of ['/carddav/acme/ann/shared/', '/carddav/acme/bob/personal/', '/carddav/acme/ann/']) {
      expect((await dav(f.server, 'PROPFIND', path, { ...eve, depth: '1' })).status).toBe(404);
    }
    expect((await dav(f.server, 'PROPFIND', '/carddav/acme/bob/personal/', { depth: '1' })).status).toBe(404);
    const mine = await dav(f.server, 'PROPFIND', '/carddav/globex/eve/shared/', { ...eve, depth: '1', body: PROP_ETAG_DATA });
    const bodies = multistatus(mine.text).responses.slice(1).map((r) => r.props.get(C('address-data'))!.text);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('Globex');
    const get = await dav(f.server, 'GET', '/carddav/globex/eve/shared/', eve);
    expect(get.status).toBe(200);
  });

  it('throttles repeated wrong passwords with 429 and Retry-After', async () => {
    const slow = await startDavFixture({ signin: { freeFailuresPerAddress: 2 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await dav(slow.server, 'PROPFIND', '/carddav/', { login: 'ann@acme', password: `wrong-${i}` })).status);
      expect(statuses.slice(0, 2)).toEqual([401, 401]);
      const refused = await dav(slow.server, 'PROPFIND', '/carddav/', { login: 'ann@acme', password: PASSWORDS.ann });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await slow.server.close();
    }
  });
});
