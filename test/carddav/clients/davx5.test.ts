// DAVx⁵ (Android), replayed with its own requests (fixtures/carddav/davx5/, sources in its
// README): discovery from the server address, first sync (sync-collection, then multigets of 10
// asking for vCard 4.0), changes both ways, If-None-Match/If-Match writes whose ETag it keeps,
// the 412 it skips, delete, an expired token, and its card round-tripping with every property.
import { describe, expect, it } from 'vitest';
import {
  appHeaders, C, cardFixture, cardsOf, CS, D, expectSameProperties, expectValidSyncTokenError, expireTokens, hrefOf, ms, properties, propertyDiff, replayApp, reportNames, send, SHARED,
} from './replay.ts';

const MULTIGET_BATCH_SIZE = 10; // davx5-ose sync/SyncManager.kt
const UID = '5a3c1f0e-7b2d-4e8a-9c61-0d4b2e8f7a11';
const HREF = `${SHARED}${UID}.vcf`;

/** What the app holds between syncs: its token and every card with its ETag. */
const local = { token: '', cards: new Map<string, { etag: string; card: string }>() };

const { app, mgr } = replayApp({ name: 'DAVx5', contacts: 20, always: appHeaders('davx5') });

const sync = (token: string) => send(app, 'REPORT', SHARED, { fixture: ['davx5', 'sync-collection', { token }] });

/** SyncManager: the changed hrefs fetched in multigets of 10, each asking for vCard 4.0. */
async function download(hrefs: string[]): Promise<void> {
  for (let i = 0; i < hrefs.length; i += MULTIGET_BATCH_SIZE) {
    const batch = hrefs.slice(i, i + MULTIGET_BATCH_SIZE);
    const r = await send(app, 'REPORT', SHARED, { fixture: ['davx5', 'multiget', { hrefs: batch.map((h) => `<href>${h}</href>`).join('') }] });
    const got = cardsOf(r);
    expect([...got.keys()].sort()).toEqual([...batch].sort());
    for (const [href, c] of got) local.cards.set(href, c);
  }
}

/** One sync as DAVx5 runs it: sync-collection from its token, removals applied, changes downloaded. */
async function syncOnce(): Promise<{ changed: string[]; removed: string[] }> {
  const out = ms(await sync(local.token));
  const changed = out.responses.filter((r) => r.status === null).map((r) => r.href);
  const removed = out.responses.filter((r) => r.status?.includes(' 404 ')).map((r) => r.href);
  for (const r of out.responses) if (r.status === null) expect(r.props.get(D('getetag'))?.text, r.href).toMatch(/^"/);
  for (const h of removed) local.cards.delete(h);
  await download(changed);
  local.token = out.syncToken!;
  return { changed, removed };
}

describe('DAVx⁵', () => {
  it('discovers the books from the server address: base URL, principal (OPTIONS, PROPFIND), home set', async () => {
    // DavResourceFinder: PROPFIND on the address typed; dav4jvm follows the 301 with the same method
    const base = await send(app, 'PROPFIND', '/', { fixture: ['davx5', 'propfind-base'] });
    expect(base.status).toBe(301);
    const context = ms(await send(app, 'PROPFIND', base.headers.get('location')!, { fixture: ['davx5', 'propfind-base'] })).responses[0];
    const principal = hrefOf(context, D('current-user-principal'));
    expect(principal).toBe('/carddav/acme/ann/');
    const options = await send(app, 'OPTIONS', principal);
    expect(options.headers.get('dav')).toMatch(/\baddressbook\b/);
    // ServiceRefresher, then HomeSetRefresher (Depth 1)
    const home = hrefOf(ms(await send(app, 'PROPFIND', principal, { fixture: ['davx5', 'propfind-principal'] })).responses[0], C('addressbook-home-set'));
    const listing = ms(await send(app, 'PROPFIND', home, { fixture: ['davx5', 'propfind-home'] })).responses;
    const books = listing.filter((r) => r.props.get(D('resourcetype'))?.children.includes(C('addressbook')));
    expect(books.map((b) => b.href)).toEqual([SHARED, '/carddav/acme/ann/personal/', '/carddav/acme/ann/colleagues/']);
    // Ann manages the shared contacts: DAVx5 offers Shared as writable
    expect(books[0].props.get(D('current-user-privilege-set'))!.el.children.flatMap((p) => p.children.map((x) => x.name))).toContain('write');
  });

  it('first sync: capabilities (sync-collection, vCard 4.0), then every card in multigets of 10', async () => {
    const caps = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['davx5', 'propfind-capabilities'] })).responses[0];
    expect(reportNames(caps.props.get(D('supported-report-set'))!.el)).toContain('sync-collection');
    expect(caps.props.get(C('supported-address-data'))!.el.children.map((x) => x.attrs.version)).toContain('4.0');
    expect(caps.props.get(D('sync-token'))!.text).toMatch(/^http:/);
    expect(caps.props.get(CS('getctag'))!.text).not.toBe('');
    const { changed } = await syncOnce();
    expect(changed).toHaveLength(23);
    expect(local.cards.size).toBe(23);
    for (const { card } of local.cards.values()) expect(properties(card)[1]).toMatch(/^VERSION:/);
  });

  it('creates its card (If-None-Match: *), keeps the PUT\'s ETag, and the card comes back with every property', async () => {
    const sent = cardFixture('davx5', 'card-full', { uid: UID });
    expect(sent.length).toBeGreaterThan(60_000);
    const put = await send(app, 'PUT', HREF, { body: sent, headers: { 'content-type': 'text/vcard; version=4.0', 'if-none-match': '*' } });
    expect(put.status).toBe(201);
    const etag = put.headers.get('etag');
    expect(etag).toMatch(/^"/);
    const { changed } = await syncOnce();
    expect(changed).toEqual([HREF]);
    // the ETag DAVx5 stored from the PUT is the one the sync lists: it does not download it again as changed
    expect(local.cards.get(HREF)!.etag).toBe(etag);
    expectSameProperties(local.cards.get(HREF)!.card, sent);
    const c = await mgr.find('Sánchez');
    expect(c).toMatchObject({ firstName: 'María', company: 'Sánchez Ingeniería S.L.', title: 'Directora técnica', workNumber: '+34 91 555 0100', mobileNumber: '+34 600 555 010', email: 'maria@sanchez-ingenieria.test' });
  });

  it('a group card (KIND:group, its default group method) is accepted and served back with its properties', async () => {
    const uid = '0c9d7e21-4a5b-4c3d-8e2f-1a2b3c4d5e6f';
    const group = cardFixture('davx5', 'card-group', { uid, member: UID });
    const put = await send(app, 'PUT', `${SHARED}${uid}.vcf`, { body: group, headers: { 'content-type': 'text/vcard; version=4.0', 'if-none-match': '*' } });
    expect(put.status).toBe(201);
    await syncOnce();
    expectSameProperties(local.cards.get(`${SHARED}${uid}.vcf`)!.card, group);
  });

  it('an edit on the phone (If-Match) reaches the admin API; the photo and the rest stay', async () => {
    const before = local.cards.get(HREF)!;
    const edited = before.card.replace('TEL;TYPE=cell:+34 600 555 010', 'TEL;TYPE=cell:+34 600 555 011').replace('Site visits on Thursdays.', 'Site visits on Fridays.');
    const put = await send(app, 'PUT', HREF, { body: edited, headers: { 'content-type': 'text/vcard; version=4.0', 'if-match': before.etag } });
    expect(put.status).toBe(204);
    expect(put.headers.get('etag')).not.toBe(before.etag);
    expect(await mgr.find('Sánchez')).toMatchObject({ mobileNumber: '+34 600 555 011', workNumber: '+34 91 555 0100' });
    local.cards.set(HREF, { etag: put.headers.get('etag')!, card: edited });
    const { changed } = await syncOnce();
    // its own write comes back with the ETag it already holds: nothing to download
    expect(local.cards.get(HREF)).toEqual({ etag: put.headers.get('etag'), card: edited });
    expect(changed).toEqual([HREF]);
  });

  it('an edit in the admin API reaches the phone: only the changed number (and REV) differ', async () => {
    const before = local.cards.get(HREF)!;
    const c = await mgr.find('Sánchez');
    await mgr.patch(c.id, { workNumber: '+34 91 555 0199' });
    const { changed } = await syncOnce();
    expect(changed).toEqual([HREF]);
    const diff = propertyDiff(before.card, local.cards.get(HREF)!.card);
    expect(diff.gone.filter((l) => !l.startsWith('REV:'))).toEqual(['TEL;TYPE=work:+34 91 555 0100']);
    expect(diff.added.filter((l) => !l.startsWith('REV:'))).toEqual(['TEL;TYPE=work:+34 91 555 0199']);
  });

  it('a contact deleted in the admin API is reported gone', async () => {
    const john = await mgr.find('Doe');
    await mgr.remove(john.id);
    const { removed } = await syncOnce();
    expect(removed).toEqual([`${SHARED}${john.id}.vcf`]);
  });

  it('a stale If-Match gets 412 and changes nothing; DAVx5 then downloads the server\'s card', async () => {
    const current = local.cards.get(HREF)!;
    const stale = await send(app, 'PUT', HREF, { body: current.card.replace('NICKNAME:Malena', 'NICKNAME:Lena'), headers: { 'content-type': 'text/vcard; version=4.0', 'if-match': '"r1"' } });
    expect(stale.status).toBe(412);
    await download([HREF]);
    expect(local.cards.get(HREF)).toEqual(current);
  });

  it('deletes with If-Match: gone from the admin API, reported 404 to the next sync', async () => {
    const { id } = await mgr.find('Sánchez');
    const del = await send(app, 'DELETE', HREF, { headers: { 'if-match': local.cards.get(HREF)!.etag } });
    expect(del.status).toBe(204);
    expect(await mgr.exists(id)).toBe(false);
    local.cards.delete(HREF);
    const out = ms(await sync(local.token));
    expect(out.responses.map((r) => [r.href, r.status])).toEqual([[HREF, 'HTTP/1.1 404 Not Found']]);
    local.token = out.syncToken!;
  });

  it('an expired token: the XML valid-sync-token error, then its initial sync lists the whole book', async () => {
    await expireTokens(app.f);
    expectValidSyncTokenError(await sync(local.token));
    local.token = '';
    const { changed } = await syncOnce();
    expect(changed.length).toBe(ms(await send(app, 'PROPFIND', SHARED, { headers: { depth: '1' }, body: '<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>' })).responses.length - 1);
  });
});
