// Evolution and GNOME Contacts (evolution-data-server's CardDAV backend), replayed with its own
// requests (fixtures/carddav/evolution/, sources in its README): discovery, OPTIONS on the book,
// collection properties, sync-collection then multigets of 100, PUT with If-None-Match/If-Match and
// Prefer: return=minimal (reading the card back with GET when the answer has no ETag), the 412 of a
// stale ETag, delete, an expired token, and its vCard 3.0 card round-tripping with every property.
import { describe, expect, it } from 'vitest';
import {
  appHeaders, C, cardFixture, cardsOf, CS, D, expectSameProperties, expectValidSyncTokenError, expireTokens, hrefOf, ms, propertyDiff, replayApp, reportNames, send, SHARED,
} from './replay.ts';

const E_WEBDAV_MAX_MULTIGET_AMOUNT = 100;
const UID = 'pas-id-6752A1F300000001';
const HREF = `${SHARED}${UID}.vcf`;
const VCARD = 'text/vcard; charset="utf-8"'; // E_WEBDAV_CONTENT_TYPE_VCARD

/** The backend's cache: its sync tag and each card with its ETag (X-EVOLUTION-WEBDAV-ETAG). */
const local = { token: '', cards: new Map<string, { etag: string; card: string }>() };
const multigetSizes: number[] = [];

const { app, mgr } = replayApp({ name: 'Evolution', contacts: 150, always: appHeaders('evolution') });

const syncCollection = (token: string) => send(app, 'REPORT', SHARED, { fixture: ['evolution', 'sync-collection', { token }] });

async function multigetAll(hrefs: string[]): Promise<void> {
  for (let i = 0; i < hrefs.length; i += E_WEBDAV_MAX_MULTIGET_AMOUNT) {
    const batch = hrefs.slice(i, i + E_WEBDAV_MAX_MULTIGET_AMOUNT);
    multigetSizes.push(batch.length);
    const got = cardsOf(await send(app, 'REPORT', SHARED, { fixture: ['evolution', 'multiget', { hrefs: batch.map((h) => `<D:href>${h}</D:href>`).join('') }] }));
    expect(got.size).toBe(batch.length);
    for (const [h, c] of got) local.cards.set(h, c);
  }
}

/** ebb_carddav_get_changes_sync with sync-collection: changed ETags, then multigets of 100. */
async function getChanges(): Promise<{ changed: string[]; removed: string[] }> {
  const out = ms(await syncCollection(local.token));
  const changed: string[] = []; const removed: string[] = [];
  for (const r of out.responses) {
    if (r.status?.startsWith('HTTP/1.1 404')) { removed.push(r.href); local.cards.delete(r.href); continue; }
    if (local.cards.get(r.href)?.etag !== r.props.get(D('getetag'))!.text) changed.push(r.href);
  }
  await multigetAll(changed);
  local.token = out.syncToken!;
  return { changed, removed };
}

/** ebb_carddav_save_contact_sync: PUT; with a strong ETag in the answer the card sent is kept, else it is read back. */
async function save(href: string, card: string, etag?: string): Promise<{ status: number; etag: string | null }> {
  const r = await send(app, 'PUT', href, { body: card, headers: { 'content-type': VCARD, prefer: 'return=minimal', ...(etag ? { 'if-match': etag } : { 'if-none-match': '*' }) } });
  const got = r.headers.get('etag');
  if (r.status < 300) {
    if (got && !got.startsWith('W/')) local.cards.set(href, { etag: got, card });
    else {
      const back = await send(app, 'GET', href);
      local.cards.set(href, { etag: back.headers.get('etag')!, card: back.text });
    }
  }
  return { status: r.status, etag: got };
}

describe('Evolution / GNOME Contacts', () => {
  it('discovers the books via /.well-known/carddav, then checks each book with OPTIONS', async () => {
    const wk = await send(app, 'PROPFIND', '/.well-known/carddav', { fixture: ['evolution', 'well-known'] });
    expect(wk.status).toBe(301);
    const context = ms(await send(app, 'PROPFIND', wk.headers.get('location')!, { fixture: ['evolution', 'well-known'] })).responses[0];
    const principal = hrefOf(context, D('current-user-principal'));
    const home = hrefOf(ms(await send(app, 'PROPFIND', principal, { fixture: ['evolution', 'principal'] })).responses[0], C('addressbook-home-set'));
    const books = ms(await send(app, 'PROPFIND', home, { fixture: ['evolution', 'home-list'] })).responses
      .filter((r) => r.props.get(D('resourcetype'))?.children.includes(C('addressbook')));
    expect(books.map((b) => b.props.get(D('displayname'))!.text)).toEqual(['Shared contacts', 'Personal', 'Colleagues']);
    for (const b of books) expect((await send(app, 'OPTIONS', b.href)).headers.get('dav'), b.href).toMatch(/\baddressbook\b/);
  });

  it('connects: OPTIONS lists addressbook; getctag, vCard versions and sync-collection support', async () => {
    expect((await send(app, 'OPTIONS', SHARED)).headers.get('dav')).toMatch(/\baddressbook\b/);
    const props = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['evolution', 'collection-props'] })).responses[0];
    expect(props.props.get(CS('getctag'))!.text).not.toBe('');
    expect(props.props.get(C('supported-address-data'))!.el.children.map((x) => x.attrs['content-type'])).toContain('text/vcard');
    expect(reportNames(props.props.get(D('supported-report-set'))!.el)).toContain('sync-collection');
  });

  it('first sync: sync-collection without a token, then multigets of 100; its cache check answers too', async () => {
    const { changed } = await getChanges();
    expect(changed).toHaveLength(153);
    expect(multigetSizes).toEqual([100, 53]);
    // list_existing: addressbook-query, no filter, asking for VERSION and UID
    const existing = cardsOf(await send(app, 'REPORT', SHARED, { fixture: ['evolution', 'list-existing'] }));
    expect(existing.size).toBe(153);
    for (const c of existing.values()) expect(c.card).toMatch(/\r?\nUID:/);
  });

  it('a change in the admin API: sync-collection names it, a multiget of 1 fetches it; a deletion is 404', async () => {
    const john = await mgr.find('Doe');
    await mgr.patch(john.id, { company: 'Doe & Daughters' });
    const gone = await mgr.find('Person 042');
    await mgr.remove(gone.id);
    const { changed, removed } = await getChanges();
    expect(changed).toEqual([`${SHARED}${john.id}.vcf`]);
    expect(removed).toEqual([`${SHARED}${gone.id}.vcf`]);
    expect(local.cards.get(changed[0])!.card).toContain('ORG:Doe & Daughters');
  });

  it('creates its card (If-None-Match: *, Prefer: return=minimal): a strong ETag, so no GET; every property kept', async () => {
    const sent = cardFixture('evolution', 'card-full', { uid: UID });
    const r = await save(HREF, sent);
    expect(r.status).toBe(201);
    expect(r.etag).toMatch(/^"/);
    const got = await send(app, 'GET', HREF);
    expect(got.text).toBe(sent);
    expect(got.headers.get('etag')).toBe(r.etag);
    expect(await mgr.find('Sánchez')).toMatchObject({
      firstName: 'María', company: 'Sánchez Ingeniería S.L.', title: 'Directora técnica', workNumber: '+34 91 555 0100', mobileNumber: '+34 600 555 010', homeNumber: '+34 91 555 0177',
    });
    // the next sync sees its own card with the ETag it holds: nothing to fetch
    expect((await getChanges()).changed).toEqual([]);
    expectSameProperties(local.cards.get(HREF)!.card, sent);
  });

  it('an edit in Evolution (If-Match) reaches the admin API; the rest of the card stays', async () => {
    const { etag, card } = local.cards.get(HREF)!;
    const edited = card.replace('TEL;TYPE=CELL:+34 600 555 010', 'TEL;TYPE=CELL:+34 600 555 011').replace('REV:2026-12-07T10:15:00Z', 'REV:2026-12-07T11:00:00Z');
    const r = await save(HREF, edited, etag);
    expect(r.status).toBe(204);
    expect(await mgr.find('Sánchez')).toMatchObject({ mobileNumber: '+34 600 555 011' });
    expectSameProperties(local.cards.get(HREF)!.card, edited);
    expect((await getChanges()).changed).toEqual([]);
  });

  it('an edit in the admin API reaches Evolution: only that number and REV differ', async () => {
    const before = local.cards.get(HREF)!.card;
    await mgr.patch((await mgr.find('Sánchez')).id, { workNumber: '+34 91 555 0199' });
    expect((await getChanges()).changed).toEqual([HREF]);
    const diff = propertyDiff(before, local.cards.get(HREF)!.card);
    expect(diff.gone).toEqual(['TEL;TYPE=WORK,VOICE:+34 91 555 0100', 'REV:2026-12-07T11:00:00Z']);
    expect(diff.added[0]).toBe('TEL;TYPE=WORK,VOICE:+34 91 555 0199');
    expect(diff.added[1]).toMatch(/^REV:\d{8}T\d{6}Z$/);
  });

  it('a stale If-Match gets 412 and changes nothing', async () => {
    const current = local.cards.get(HREF)!;
    const r = await send(app, 'PUT', HREF, { body: current.card.replace('NICKNAME:Malena', 'NICKNAME:Lena'), headers: { 'content-type': VCARD, prefer: 'return=minimal', 'if-match': '"1-stale"' } });
    expect(r.status).toBe(412);
    expect(propertyDiff(current.card, (await send(app, 'GET', HREF)).text)).toEqual({ gone: [], added: [] });
  });

  it('deletes with If-Match: gone from the admin API and reported 404', async () => {
    const { id } = await mgr.find('Sánchez');
    expect((await send(app, 'DELETE', HREF, { headers: { 'if-match': local.cards.get(HREF)!.etag } })).status).toBe(204);
    expect(await mgr.exists(id)).toBe(false);
    expect((await getChanges()).removed).toEqual([HREF]);
  });

  it('an expired token: 400; the getctag and ETag listing fallback lists the book; the next sync starts over', async () => {
    await expireTokens(app.f);
    expectValidSyncTokenError(await syncCollection(local.token));
    const ctag = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['evolution', 'getctag'] })).responses[0].props.get(CS('getctag'))!.text;
    expect(ctag).not.toMatch(/[:/]/); // not URI-like: EDS will not send it as a sync token
    const listing = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['evolution', 'list-etags'] })).responses.slice(1);
    const changed = listing.filter((r) => local.cards.get(r.href)?.etag !== r.props.get(D('getetag'))!.text).map((r) => r.href);
    expect(changed).toHaveLength(1); // the card added before pruning
    await multigetAll(changed);
    local.token = '';
    expect((await getChanges()).changed).toEqual([]);
  });
});
