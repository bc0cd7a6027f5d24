// Thunderbird's built-in address book, replayed with its own requests (fixtures/carddav/thunderbird/,
// sources in its README): discovery through /.well-known/carddav, the first sync (PROPFIND Depth 1,
// then ONE multiget of every href, then the token), sync-collection with address-data, a PUT of
// <UID>.vcf without If-Match followed by a multiget of that href, delete, and an expired token.
import { describe, expect, it } from 'vitest';
import {
  appHeaders, C, cardFixture, cardsOf, D, expectSameProperties, expectValidSyncTokenError, expireTokens, hrefOf, ms, propertyDiff, replayApp, send, SHARED,
} from './replay.ts';

const UID = '3f8e2b1a-9c4d-4e7f-a1b2-c3d4e5f60718';
const HREF = `${SHARED}${UID}.vcf`;

/** CardDAVDirectory's state: carddav.token, and each card's _href and _etag. */
const local = { token: '', cards: new Map<string, { etag: string; card: string }>() };

const { app, mgr } = replayApp({ name: 'Thunderbird', contacts: 150, always: appHeaders('thunderbird') });

/** _multigetRequest: one REPORT for all the hrefs it is given, each on its own line. */
const multiget = (hrefs: string[]) => send(app, 'REPORT', SHARED, { fixture: ['thunderbird', 'multiget', { hrefs: hrefs.map((h) => `<d:href>${h}</d:href>`).join('\n      ') }] });

/** _getSyncToken: PROPFIND Depth 0 for displayname, getctag and sync-token. */
async function getSyncToken(): Promise<void> {
  local.token = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['thunderbird', 'sync-token'] })).responses[0].props.get(D('sync-token'))!.text;
  expect(local.token).toMatch(/^http:/);
}

/** fetchAllFromServer: PROPFIND Depth 1, ONE multiget of what is new or changed, then the token. */
async function fetchAll(): Promise<string[]> {
  const listing = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['thunderbird', 'fetch-all'] })).responses
    .filter((r) => !r.props.get(D('resourcetype'))?.children.includes('{DAV:}collection'));
  const seen = new Set(listing.map((r) => r.href));
  for (const h of [...local.cards.keys()]) if (!seen.has(h)) local.cards.delete(h);
  const toFetch = listing.filter((r) => local.cards.get(r.href)?.etag !== r.props.get(D('getetag'))!.text).map((r) => r.href);
  if (toFetch.length > 0) {
    const got = cardsOf(await multiget(toFetch));
    expect(got.size).toBe(toFetch.length);
    for (const [h, c] of got) local.cards.set(h, c);
  }
  await getSyncToken();
  return toFetch;
}

/** updateAllFromServerV2: sync-collection with address-data; 207 or 400 only. */
async function syncV2(): Promise<{ changed: string[]; removed: string[] }> {
  const r = await send(app, 'REPORT', SHARED, { fixture: ['thunderbird', 'sync-collection', { token: local.token }] });
  expect([207, 400]).toContain(r.status);
  const out = ms(r);
  const changed: string[] = []; const removed: string[] = [];
  for (const x of out.responses) {
    if (x.status?.startsWith('HTTP/1.1 404')) { removed.push(x.href); local.cards.delete(x.href); continue; }
    const data = x.props.get(C('address-data'));
    expect(data, `${x.href} comes with its card`).toBeDefined();
    local.cards.set(x.href, { etag: x.props.get(D('getetag'))!.text, card: data!.text });
    changed.push(x.href);
  }
  local.token = out.syncToken!;
  return { changed, removed };
}

/** _sendCardToServer: PUT <UID>.vcf as text/vcard with no If-Match or If-None-Match, then a multiget of it. */
async function sendCard(href: string, card: string): Promise<number> {
  const put = await send(app, 'PUT', href, { body: card, headers: { 'content-type': 'text/vcard' } });
  expect(put.status, put.text).toBeLessThan(400);
  const got = cardsOf(await multiget([href]));
  local.cards.set(href, got.get(href)!);
  return put.status;
}

describe('Thunderbird', () => {
  it('discovers the books: /.well-known/carddav (301 followed with the same method), principal, home', async () => {
    // the address typed has the path "/": no PROPFIND there, the well-known URL first
    const wk = await send(app, 'PROPFIND', '/.well-known/carddav', { fixture: ['thunderbird', 'well-known'] });
    expect(wk.status).toBe(301);
    const context = ms(await send(app, 'PROPFIND', wk.headers.get('location')!, { fixture: ['thunderbird', 'well-known'] })).responses[0];
    const principal = hrefOf(context, D('current-user-principal'));
    const home = hrefOf(ms(await send(app, 'PROPFIND', principal, { fixture: ['thunderbird', 'home-set'] })).responses[0], C('addressbook-home-set'));
    const books = ms(await send(app, 'PROPFIND', home, { fixture: ['thunderbird', 'books'] })).responses
      .filter((r) => r.props.get(D('resourcetype'))?.children.includes(C('addressbook')));
    const writable = (href: string) => books.find((b) => b.href === href)!.props.get(D('current-user-privilege-set'))!.el.children
      .some((p) => p.children.some((x) => ['write', 'write-content', 'write-properties', 'all'].includes(x.name)));
    expect(books.map((b) => [b.href, b.props.get(D('displayname'))!.text])).toEqual([
      [SHARED, 'Shared contacts'], ['/carddav/acme/ann/personal/', 'Personal'], ['/carddav/acme/ann/colleagues/', 'Colleagues'],
    ]);
    // Ann manages the shared contacts; nobody writes Colleagues: Thunderbird makes that book read-only
    expect([writable(SHARED), writable('/carddav/acme/ann/personal/'), writable('/carddav/acme/ann/colleagues/')]).toEqual([true, true, false]);
  });

  it('first sync: PROPFIND Depth 1, ONE multiget of all 153 hrefs, then the sync token', async () => {
    const fetched = await fetchAll();
    expect(fetched).toHaveLength(153);
    expect(local.cards.size).toBe(153);
  });

  it('a change in the admin API: sync-collection hands it over with its card; a deletion as 404', async () => {
    const john = await mgr.find('Doe');
    await mgr.patch(john.id, { mobileNumber: '+1 415 555 0111' });
    const gone = await mgr.find('Person 007');
    await mgr.remove(gone.id);
    const { changed, removed } = await syncV2();
    expect(changed).toEqual([`${SHARED}${john.id}.vcf`]);
    expect(removed).toEqual([`${SHARED}${gone.id}.vcf`]);
    expect(local.cards.get(`${SHARED}${john.id}.vcf`)!.card).toContain('+1 415 555 0111');
  });

  it('creates its card: PUT <UID>.vcf without If-Match, then the multiget of it returns every property', async () => {
    const sent = cardFixture('thunderbird', 'card-full', { uid: UID });
    expect(await sendCard(HREF, sent)).toBe(201);
    expectSameProperties(local.cards.get(HREF)!.card, sent);
    expect(await mgr.find('Sánchez')).toMatchObject({
      firstName: 'María', company: 'Sánchez Ingeniería S.L.', workNumber: '+34 91 555 0100', mobileNumber: '+34 600 555 010', homeNumber: '+34 91 555 0177', email: 'maria@sanchez-ingenieria.test',
    });
    // its own card comes back in the next sync with the ETag it already holds
    const { changed } = await syncV2();
    expect(changed).toEqual([HREF]);
    expectSameProperties(local.cards.get(HREF)!.card, sent);
  });

  it('an edit in Thunderbird reaches the admin API; the photo, address and note stay', async () => {
    const edited = local.cards.get(HREF)!.card.replace('TEL;TYPE=cell;VALUE=TEXT:+34 600 555 010', 'TEL;TYPE=cell;VALUE=TEXT:+34 600 555 011');
    expect(await sendCard(HREF, edited)).toBe(204);
    expect(await mgr.find('Sánchez')).toMatchObject({ mobileNumber: '+34 600 555 011' });
    expectSameProperties(local.cards.get(HREF)!.card, edited);
    await syncV2();
  });

  it('an edit in the admin API reaches Thunderbird: only that number differs', async () => {
    const before = local.cards.get(HREF)!.card;
    await mgr.patch((await mgr.find('Sánchez')).id, { workNumber: '+34 91 555 0199' });
    const { changed } = await syncV2();
    expect(changed).toEqual([HREF]);
    expect(propertyDiff(before, local.cards.get(HREF)!.card)).toEqual({
      gone: ['TEL;TYPE=work;VALUE=TEXT:+34 91 555 0100'], added: ['TEL;TYPE=work;VALUE=TEXT:+34 91 555 0199'],
    });
  });

  it('sends no If-Match, so its PUT is never refused with a 412 it could not handle: the last write wins', async () => {
    const stale = local.cards.get(HREF)!.card;
    await mgr.patch((await mgr.find('Sánchez')).id, { title: 'Socia' });
    expect(await sendCard(HREF, stale)).toBe(204);
    expect(await mgr.find('Sánchez')).toMatchObject({ title: 'Directora técnica', workNumber: '+34 91 555 0199' });
    await syncV2();
  });

  it('deletes without If-Match: gone from the admin API, and the next sync reports the href 404', async () => {
    const { id } = await mgr.find('Sánchez');
    expect((await send(app, 'DELETE', HREF)).status).toBe(204);
    expect(await mgr.exists(id)).toBe(false);
    const r = ms(await send(app, 'REPORT', SHARED, { fixture: ['thunderbird', 'sync-collection', { token: local.token }] }));
    expect(r.responses.map((x) => [x.href, x.status])).toEqual([[HREF, 'HTTP/1.1 404 Not Found']]);
    local.token = r.syncToken!;
    local.cards.delete(HREF);
  });

  it('an expired token: 400, then its full fetch brings the book back in step, and sync works again', async () => {
    await expireTokens(app.f);
    const r = await send(app, 'REPORT', SHARED, { fixture: ['thunderbird', 'sync-collection', { token: local.token }] });
    expectValidSyncTokenError(r);
    const fetched = await fetchAll();
    expect(fetched.map((h) => h)).toHaveLength(1); // only the card added since ("Pruned Away")
    expect((await syncV2()).changed).toEqual([]);
  });
});
