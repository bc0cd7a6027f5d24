// The sequence iOS and macOS Contacts run, shared by ios.test.ts and macos.test.ts: Apple's
// discovery from the public request logs (fixtures/carddav/apple/), then the book polled at Depth 0
// (getctag, sync-token), sync-collection, a multiget of what changed, PUTs with If-None-Match/If-Match,
// the 412 of a stale ETag, delete, and what an expired token leads to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  C, cardFixture, cardsOf, CS, D, expectSameProperties, expectValidSyncTokenError, expireTokens, hrefOf, ms,
  propertyDiff, replayApp, send, SHARED, type App,
} from './replay.ts';

const APPLE = join(import.meta.dirname, '../../../fixtures/carddav/apple');
const AGENTS = JSON.parse(readFileSync(join(APPLE, 'user-agents.json'), 'utf8')) as Record<string, { value: string }>;
const appleBody = (name: string) => readFileSync(join(APPLE, name), 'utf8');

export interface AppleClient {
  name: string;
  /** fixtures/carddav/<dir>/ holds its card-full.vcf */
  cards: string;
  setupAgent: string;
  syncAgent: string;
  /** macOS sends OPTIONS / while it adds an account (owncloud/core#30120) */
  optionsRoot: boolean;
  /** the books it shows: macOS only the first one (sabre-io/dav#846) */
  booksShown: 'first' | 'all';
  groupCard?: string;
}

export function replayApple(client: AppleClient): void {
  const UID = client.name === 'iOS' ? '6E1B0F4C-2D7A-4C55-9E8B-31A7F0C2D9E4' : 'A7C3E1D2-5B4F-4E6A-8C9D-0F1E2D3C4B5A';
  const HREF = `${SHARED}${UID}.vcf`;
  // Apple signs in with one User-Agent (the account setup) and syncs with another (its daemon).
  const { app: setup, mgr } = replayApp({ name: client.name, contacts: 40, always: { 'user-agent': client.setupAgent } });
  const app = {} as App;
  beforeAll(() => { Object.assign(app, setup, { always: { 'user-agent': client.syncAgent } }); });
  const local = { ctag: '', token: '', cards: new Map<string, { etag: string; card: string }>() };

  const multiget = async (hrefs: string[]) => {
    if (hrefs.length === 0) return;
    const got = cardsOf(await send(app, 'REPORT', SHARED, { fixture: ['ios', 'multiget', { hrefs: hrefs.map((h) => `  <A:href xmlns:A="DAV:">${h}</A:href>`).join('\n') }] }));
    expect([...got.keys()].sort()).toEqual([...hrefs].sort());
    for (const [h, c] of got) local.cards.set(h, c);
  };
  /** The book at Depth 0: has its ctag moved? */
  const poll = async (): Promise<boolean> => {
    const self = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['ios', 'book-props'] })).responses[0];
    const ctag = self.props.get(CS('getctag'))!.text;
    expect(self.props.get(D('sync-token'))!.text).toMatch(/^http:/);
    const moved = ctag !== local.ctag;
    local.ctag = ctag;
    return moved;
  };
  const syncCollection = (token: string) => send(app, 'REPORT', SHARED, { fixture: ['ios', 'sync-collection', { token }] });
  const sync = async (): Promise<{ changed: string[]; removed: string[] }> => {
    const out = ms(await syncCollection(local.token));
    const removed = out.responses.filter((r) => r.status?.startsWith('HTTP/1.1 404')).map((r) => r.href);
    for (const h of removed) local.cards.delete(h);
    const changed = out.responses.filter((r) => r.status === null && local.cards.get(r.href)?.etag !== r.props.get(D('getetag'))!.text).map((r) => r.href);
    await multiget(changed);
    local.token = out.syncToken!;
    return { changed, removed };
  };
  const put = (href: string, card: string, h: Record<string, string>) => send(app, 'PUT', href, { body: card, headers: { 'content-type': 'text/vcard', ...h } });

  describe(client.name, () => {
    it(`adds the account: ${client.optionsRoot ? 'OPTIONS /, ' : ''}well-known, 401 then 207, OPTIONS and PROPFIND principal, home`, async () => {
      if (client.optionsRoot) expect((await send(setup, 'OPTIONS', '/', { auth: null })).headers.get('dav')).toMatch(/\baddressbook\b/);
      const lookup = { body: appleBody('propfind-principal-lookup.xml'), headers: { depth: '0', brief: 't', 'content-type': 'text/xml' } };
      const wk = await send(setup, 'PROPFIND', '/.well-known/carddav', { ...lookup, auth: null });
      expect(wk.status).toBe(301);
      const context = wk.headers.get('location')!;
      expect((await send(setup, 'PROPFIND', context, { ...lookup, auth: null })).status).toBe(401);
      const principal = hrefOf(ms(await send(setup, 'PROPFIND', context, lookup)).responses[0], D('current-user-principal'));
      expect((await send(app, 'OPTIONS', principal)).headers.get('dav')).toMatch(/\baddressbook\b/);
      const p = ms(await send(app, 'PROPFIND', principal, { body: appleBody('propfind-principal-macos.xml'), headers: { depth: '0', brief: 't', 'content-type': 'text/xml' } })).responses[0];
      const home = hrefOf(p, C('addressbook-home-set'));
      const books = ms(await send(app, 'PROPFIND', home, { body: appleBody('propfind-home-macos.xml'), headers: { depth: '1', brief: 't', 'content-type': 'text/xml' } })).responses
        .filter((r) => r.props.get(D('resourcetype'))?.children.includes(C('addressbook')));
      const shown = client.booksShown === 'first' ? books.slice(0, 1) : books;
      expect(shown.map((b) => b.href)).toEqual(client.booksShown === 'first' ? [SHARED] : [SHARED, '/carddav/acme/ann/personal/', '/carddav/acme/ann/colleagues/']);
    });

    it('first sync: the book at Depth 0, sync-collection from no token, a multiget of every card', async () => {
      expect(await poll()).toBe(true);
      const { changed } = await sync();
      expect(changed).toHaveLength(43);
      expect(local.cards.size).toBe(43);
    });

    it('a change in the admin API moves the ctag; sync-collection and a multiget bring it, a deletion comes as 404', async () => {
      expect(await poll()).toBe(false);
      const zoe = await mgr.find('Ångström');
      await mgr.patch(zoe.id, { mobileNumber: '+1 415 555 0104' });
      const gone = await mgr.find('Person 013');
      await mgr.remove(gone.id);
      expect(await poll()).toBe(true);
      const { changed, removed } = await sync();
      expect(changed).toEqual([`${SHARED}${zoe.id}.vcf`]);
      expect(removed).toEqual([`${SHARED}${gone.id}.vcf`]);
      expect(local.cards.get(changed[0])!.card).toContain('+1 415 555 0104');
    });

    it('creates its card (If-None-Match: *): 201 with the ETag, every property and label served back', async () => {
      const sent = cardFixture(client.cards, 'card-full', { uid: UID });
      const r = await put(HREF, sent, { 'if-none-match': '*' });
      expect(r.status).toBe(201);
      expect(r.headers.get('etag')).toMatch(/^"/);
      local.cards.set(HREF, { etag: r.headers.get('etag')!, card: sent });
      const { changed } = await sync();
      expect(changed).toEqual([]); // the ETag it holds is the one listed
      await multiget([HREF]);
      expect(local.cards.get(HREF)!.etag).toBe(r.headers.get('etag'));
      expectSameProperties(local.cards.get(HREF)!.card, sent);
      expect(await mgr.find('Sánchez')).toMatchObject({
        firstName: 'María', company: 'Sánchez Ingeniería S.L.', workNumber: '+34 91 555 0100', mobileNumber: '+34 600 555 010', homeNumber: '+34 91 555 0177', email: 'maria@sanchez-ingenieria.test',
      });
    });

    if (client.groupCard) {
      it('a group card (X-ADDRESSBOOKSERVER-KIND:group) is accepted and served back with its properties', async () => {
        const uid = 'B1C2D3E4-F5A6-4B7C-8D9E-0A1B2C3D4E5F';
        const group = cardFixture(client.cards, client.groupCard!, { uid, member: UID });
        expect((await put(`${SHARED}${uid}.vcf`, group, { 'if-none-match': '*' })).status).toBe(201);
        await multiget([`${SHARED}${uid}.vcf`]);
        expectSameProperties(local.cards.get(`${SHARED}${uid}.vcf`)!.card, group);
        await sync();
      });
    }

    it('an edit on the device (If-Match) reaches the admin API; labels, photo and address stay', async () => {
      const { etag, card } = local.cards.get(HREF)!;
      const edited = card.replace('TEL;type=CELL;type=VOICE:+34 600 555 010', 'TEL;type=CELL;type=VOICE:+34 600 555 011');
      const r = await put(HREF, edited, { 'if-match': etag });
      expect(r.status).toBe(204);
      expect(await mgr.find('Sánchez')).toMatchObject({ mobileNumber: '+34 600 555 011' });
      await multiget([HREF]);
      expectSameProperties(local.cards.get(HREF)!.card, edited);
      await sync();
    });

    it('an edit in the admin API reaches the device: only that number (and REV) differ', async () => {
      const before = local.cards.get(HREF)!.card;
      await mgr.patch((await mgr.find('Sánchez')).id, { workNumber: '+34 91 555 0199' });
      expect(await poll()).toBe(true);
      expect((await sync()).changed).toEqual([HREF]);
      const diff = propertyDiff(before, local.cards.get(HREF)!.card);
      expect(diff.gone.filter((l) => !l.startsWith('REV:'))).toEqual(['TEL;type=WORK;type=VOICE;type=pref:+34 91 555 0100']);
      expect(diff.added.filter((l) => !l.startsWith('REV:'))).toHaveLength(1);
      expect(diff.added.filter((l) => !l.startsWith('REV:'))[0]).toMatch(/^TEL;TYPE=.*WORK.*:\+34 91 555 0199$/);
    });

    it('a stale If-Match gets 412 and changes nothing', async () => {
      const current = local.cards.get(HREF)!;
      const r = await put(HREF, current.card.replace('NICKNAME:Malena', 'NICKNAME:Lena'), { 'if-match': '"2-stale"' });
      expect(r.status).toBe(412);
      await multiget([HREF]);
      expect(local.cards.get(HREF)).toEqual(current);
    });

    it('deletes with If-Match: gone from the admin API, 404 in the next sync', async () => {
      const { id } = await mgr.find('Sánchez');
      expect((await send(app, 'DELETE', HREF, { headers: { 'if-match': local.cards.get(HREF)!.etag } })).status).toBe(204);
      expect(await mgr.exists(id)).toBe(false);
      expect((await sync()).removed).toEqual([HREF]);
    });

    it('an expired token: 400; its Depth 1 poll lists the book; sync-collection starts over from no token', async () => {
      await expireTokens(app.f);
      expectValidSyncTokenError(await syncCollection(local.token));
      const listing = ms(await send(app, 'PROPFIND', SHARED, { fixture: ['ios', 'list-etags'] })).responses.slice(1);
      const changed = listing.filter((r) => local.cards.get(r.href)?.etag !== r.props.get(D('getetag'))!.text).map((r) => r.href);
      expect(changed).toHaveLength(1); // the card added before pruning
      await multiget(changed);
      local.token = '';
      expect((await sync()).changed).toEqual([]);
    });
  });
}

export const APPLE_AGENTS = {
  iosSetup: AGENTS.iosSetup.value, ios: AGENTS.ios.value, macos: AGENTS.macos.value,
};
