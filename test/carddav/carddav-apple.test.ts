// Apple Contacts (iPhone, iPad, Mac), replayed from the request logs in fixtures/carddav/apple:
// account discovery and the one-book sign-ins that give a Mac every book, edits of a read-only
// book that end without an error and without a change, and OPTIONS answers.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppleContacts } from '../../src/carddav/read-only-edits.ts';
import { cardLines, dav, makeAppPassword, multistatus, PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';

const FIXTURES = new URL('../../fixtures/carddav/apple/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const AGENTS = Object.fromEntries(Object.entries(JSON.parse(fixture('user-agents.json')) as Record<string, { value: string }>)
  .filter(([k]) => !k.startsWith('_')).map(([k, v]) => [k, v.value]));

const D = (n: string) => `{DAV:}${n}`;
const C = (n: string) => `{urn:ietf:params:xml:ns:carddav}${n}`;
const CS = (n: string) => `{http://calendarserver.org/ns/}${n}`;

let f: DavFixture;
beforeAll(async () => {
  f = await startDavFixture();
  // Something of Ann's own, so the Personal account on her Mac has a card to show.
  const card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann-own-1\r\nN:Own;Olga;;;\r\nFN:Olga Own\r\nTEL;TYPE=CELL:+1 415 555 0177\r\nEND:VCARD\r\n';
  const r = await dav(f.server, 'PUT', '/carddav/acme/ann/personal/ann-own-1.vcf', { body: card, headers: { 'content-type': 'text/vcard' } });
  expect(r.status).toBe(201);
});
afterAll(async () => { await f.server.close(); });

interface Found { principal: string; home: string; books: { href: string; name: string; writable: boolean }[] }

/**
 * Apple's account set-up against the server address, in the order of the logs: well-known,
 * the context path without and with credentials, OPTIONS and PROPFIND on the principal, then
 * the home at Depth 1. Each URL is the one the previous answer gave, as the app follows them.
 */
async function appleDiscovery(login: string, password: string, agent = AGENTS.macos): Promise<Found> {
  const ua = { 'user-agent': agent };
  const brief = { ...ua, brief: 't' };
  const root = await dav(f.server, 'OPTIONS', '/', { auth: null, headers: ua });
  expect(root.status).toBe(200);
  expect(root.headers.get('dav')).toContain('addressbook');
  const wk = await dav(f.server, 'PROPFIND', '/.well-known/carddav', { auth: null, depth: '0', body: fixture('propfind-principal-lookup.xml'), headers: brief });
  expect(wk.status).toBe(301);
  const context = wk.headers.get('location')!;
  const anon = await dav(f.server, 'PROPFIND', context, { auth: null, depth: '0', body: fixture('propfind-principal-lookup.xml'), headers: brief });
  expect(anon.status).toBe(401);
  expect(anon.headers.get('www-authenticate')).toMatch(/^Basic /);
  const who = await dav(f.server, 'PROPFIND', context, { login, password, depth: '0', body: fixture('propfind-principal-lookup.xml'), headers: brief });
  expect(who.status).toBe(207);
  const principal = multistatus(who.text).responses[0].props.get(D('current-user-principal'))!.el.children[0].text;
  const opts = await dav(f.server, 'OPTIONS', principal, { login, password, headers: ua });
  expect(opts.status).toBe(200);
  expect(opts.headers.get('dav')).toContain('addressbook');
  const p = await dav(f.server, 'PROPFIND', principal, { login, password, depth: '0', body: fixture('propfind-principal-macos.xml'), headers: brief });
  expect(p.status).toBe(207);
  const [pr] = multistatus(p.text).responses;
  const home = pr.props.get(C('addressbook-home-set'))!.el.children[0].text;
  const h = await dav(f.server, 'PROPFIND', home, { login, password, depth: '1', body: fixture('propfind-home-macos.xml'), headers: brief });
  expect(h.status).toBe(207);
  const books = multistatus(h.text).responses
    .filter((r) => r.props.get(D('resourcetype'))?.children.includes(C('addressbook')))
    .map((r) => ({
      href: r.href,
      name: r.props.get(D('displayname'))!.text,
      writable: r.props.get(D('current-user-privilege-set'))!.el.children.some((x) => x.children[0].name === 'write'),
    }));
  return { principal, home, books };
}

describe('every book on a Mac', () => {
  it('the ordinary sign-in lists all three books, Shared first, as before (iPhone, DAVx5, Thunderbird)', async () => {
    const found = await appleDiscovery('ann@acme', PASSWORDS.ann, AGENTS.ios);
    expect(found.principal).toBe('/carddav/acme/ann/');
    expect(found.home).toBe('/carddav/acme/ann/');
    expect(found.books.map((b) => b.href)).toEqual(['/carddav/acme/ann/shared/', '/carddav/acme/ann/personal/', '/carddav/acme/ann/colleagues/']);
  });

  it('each book is the first (and only) book of a sign-in a Mac user can add', async () => {
    const firstBook = new Map<string, string>();
    for (const login of ['ann@acme', 'ann+personal@acme', 'ann+colleagues@acme', 'ANN+Shared@acme']) {
      const found = await appleDiscovery(login, PASSWORDS.ann);
      // Same user, same URLs: a card edited on the Mac is the card DAVx5 and the phone see.
      expect(found.principal).toBe('/carddav/acme/ann/');
      firstBook.set(login, found.books[0].href);
      if (login !== 'ann@acme') expect(found.books).toHaveLength(1);
    }
    expect([...firstBook.values()]).toEqual([
      '/carddav/acme/ann/shared/', '/carddav/acme/ann/personal/', '/carddav/acme/ann/colleagues/', '/carddav/acme/ann/shared/',
    ]);
  });

  it('the Mac then syncs that book: Personal holds Ann\'s own card and can be written', async () => {
    const login = { login: 'ann+personal@acme', password: PASSWORDS.ann, headers: { 'user-agent': AGENTS.macos } };
    const found = await appleDiscovery(login.login, login.password);
    expect(found.books[0]).toMatchObject({ name: 'Personal', writable: true });
    // emersion/go-webdav#213: the book at Depth 0 (ctag), then Depth 1.
    const zero = await dav(f.server, 'PROPFIND', found.books[0].href, { ...login, depth: '0', body: '<propfind xmlns="DAV:"><prop><getctag xmlns="http://calendarserver.org/ns/"/><sync-token/></prop></propfind>' });
    expect(multistatus(zero.text).responses[0].props.get(CS('getctag'))!.text).not.toBe('');
    const one = await dav(f.server, 'PROPFIND', found.books[0].href, { ...login, depth: '1', body: '<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>' });
    expect(multistatus(one.text).responses.map((r) => r.href)).toContain('/carddav/acme/ann/personal/ann-own-1.vcf');
    const got = await dav(f.server, 'GET', '/carddav/acme/ann/personal/ann-own-1.vcf', login);
    expect(cardLines(got.text)).toContain('FN:Olga Own');
  });

  it('a one-book sign-in reaches no other book, and a wrong password or unknown book is refused', async () => {
    const personalOnly = { login: 'ann+personal@acme', password: PASSWORDS.ann };
    expect((await dav(f.server, 'PROPFIND', '/carddav/acme/ann/shared/', { ...personalOnly, depth: '0' })).status).toBe(404);
    expect((await dav(f.server, 'PROPFIND', '/carddav/acme/ann/', { login: 'ann+personal@acme', password: 'wrong', depth: '0' })).status).toBe(401);
    expect((await dav(f.server, 'PROPFIND', '/carddav/acme/ann/', { login: 'ann+family@acme', password: PASSWORDS.ann, depth: '0' })).status).toBe(401);
    // The email form takes the suffix the same way.
    const byEmail = await dav(f.server, 'PROPFIND', '/carddav/acme/ann/', { login: 'ann@acme.test+personal@acme', password: PASSWORDS.ann, depth: '1' });
    expect(multistatus(byEmail.text).responses.map((r) => r.href)).toEqual(['/carddav/acme/ann/', '/carddav/acme/ann/personal/']);
    // An app password works with the suffix too.
    const app = await makeAppPassword(f, 'bob', 'Mac');
    const token = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/', { login: 'bob+personal@acme', password: app.token, depth: '1' });
    expect(multistatus(token.text).responses.map((r) => r.href)).toEqual(['/carddav/acme/bob/', '/carddav/acme/bob/personal/']);
  });

  it('the sign-in limiter counts ann+personal@acme as ann@acme: suffixes give a guesser no extra tries', async () => {
    const slow = await startDavFixture({ signin: { freeFailuresPerAddress: 2, freeLoginsPerAddress: 100 } });
    try {
      for (const login of ['ann@acme', 'ann+personal@acme']) {
        expect((await dav(slow.server, 'PROPFIND', '/carddav/', { login, password: `wrong-${login}` })).status).toBe(401);
      }
      const refused = await dav(slow.server, 'PROPFIND', '/carddav/', { login: 'ann+colleagues@acme', password: 'wrong-3' });
      expect(refused.status).toBe(429);
    } finally {
      await slow.server.close();
    }
  });

  it('Colleagues hidden by the account: that sign-in shows an empty home, not an error', async () => {
    await f.server.ctx.db.updateAccount('acme', { settings: { showUsersInDirectory: false } }, { id: 'test' });
    try {
      const found = await appleDiscovery('ann+colleagues@acme', PASSWORDS.ann);
      expect(found.books).toEqual([]);
    } finally {
      await f.server.ctx.db.updateAccount('acme', { settings: { showUsersInDirectory: true } }, { id: 'test' });
    }
  });
});

describe('which requests come from Apple Contacts', () => {
  it('knows the contacts daemons of iOS and macOS, not browsers on those systems nor other apps', () => {
    for (const k of ['ios', 'iosSetup', 'macos', 'macosOld']) expect(isAppleContacts(AGENTS[k])).toBe(true);
    for (const ua of [AGENTS.davx5, AGENTS.thunderbird, undefined, '',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      'macOS/13.3 (22E252) CalendarAgent/961.4.2']) expect(isAppleContacts(ua)).toBe(false);
  });
});

describe('a basic user edits the read-only Shared book from an iPhone or Mac', () => {
  const bob = { login: 'bob@acme', password: PASSWORDS.bob };
  const SHARED = '/carddav/acme/bob/shared/';

  /** John Doe's card in Bob's Shared book: href, ETag, body, and the book's ctag and token. */
  async function johnAsBobSeesIt() {
    const list = await dav(f.server, 'PROPFIND', SHARED, { ...bob, depth: '1', body: '<propfind xmlns="DAV:"><prop><getetag/><getctag xmlns="http://calendarserver.org/ns/"/><sync-token/><address-data xmlns="urn:ietf:params:xml:ns:carddav"/></prop></propfind>' });
    const rs = multistatus(list.text).responses;
    const john = rs.find((r) => r.props.get(C('address-data'))?.text.includes('FN:John Doe'))!;
    return {
      href: john.href, etag: john.props.get(D('getetag'))!.text, body: john.props.get(C('address-data'))!.text,
      ctag: rs[0].props.get(CS('getctag'))!.text, token: rs[0].props.get(D('sync-token'))!.text,
    };
  }
  const edited = (uid: string) => fixture('edit-ios.vcf').replace('%%UID%%', uid);
  const uidOf = (body: string) => cardLines(body).find((l) => l.startsWith('UID:'))!.slice(4);

  for (const agent of ['ios', 'macos', 'macosOld'] as const) {
    it(`${agent}: the edit answers 204 without an ETag, the read-back is the unchanged shared card`, async () => {
      const before = await johnAsBobSeesIt();
      const put = await dav(f.server, 'PUT', before.href, {
        ...bob, body: edited(uidOf(before.body)),
        headers: { 'content-type': 'text/vcard; charset=utf-8', 'if-match': before.etag, 'user-agent': AGENTS[agent] },
      });
      expect(put.status).toBe(204);
      expect(put.headers.get('etag')).toBeNull();
      // No ETag: the app reads the card back, and gets the shared card as it was.
      const back = await dav(f.server, 'GET', before.href, { ...bob, headers: { 'user-agent': AGENTS[agent] } });
      expect(back.status).toBe(200);
      expect(back.headers.get('etag')).toBe(before.etag);
      expect(back.text).toBe(before.body);
      expect(cardLines(back.text).some((l) => l.includes('edited on an iPhone'))).toBe(false);
      // Nothing changed for anyone: same card, same ctag and sync token.
      const after = await johnAsBobSeesIt();
      expect(after).toEqual(before);
    });
  }

  it('a delete answers 204 and the card stays, for Bob and for the account', async () => {
    const before = await johnAsBobSeesIt();
    const del = await dav(f.server, 'DELETE', before.href, { ...bob, headers: { 'if-match': before.etag, 'user-agent': AGENTS.macos } });
    expect(del.status).toBe(204);
    expect(await johnAsBobSeesIt()).toEqual(before);
    const asManager = await dav(f.server, 'GET', before.href.replace('/bob/', '/ann/'));
    expect(asManager.status).toBe(200);
    const missing = await dav(f.server, 'DELETE', `${SHARED}no-such-card.vcf`, { ...bob, headers: { 'user-agent': AGENTS.ios } });
    expect(missing.status).toBe(404);
  });

  it('a new card in Shared is still refused (iOS drops it), and stores nothing', async () => {
    const before = await johnAsBobSeesIt();
    const put = await dav(f.server, 'PUT', `${SHARED}new-from-iphone.vcf`, {
      ...bob, body: edited('new-from-iphone'), headers: { 'content-type': 'text/vcard', 'if-none-match': '*', 'user-agent': AGENTS.ios },
    });
    expect(put.status).toBe(403);
    expect(put.text).toContain('need-privileges');
    expect((await johnAsBobSeesIt()).ctag).toBe(before.ctag);
  });

  it('other apps keep getting 403 need-privileges (DAVx5 skips exactly that), and nothing changes', async () => {
    const before = await johnAsBobSeesIt();
    for (const agent of [AGENTS.davx5, AGENTS.thunderbird, undefined]) {
      const headers: Record<string, string> = { 'content-type': 'text/vcard', 'if-match': before.etag };
      if (agent) headers['user-agent'] = agent;
      const put = await dav(f.server, 'PUT', before.href, { ...bob, body: edited(uidOf(before.body)), headers });
      expect(put.status).toBe(403);
      expect(put.text).toContain('need-privileges');
      const del = await dav(f.server, 'DELETE', before.href, { ...bob, headers: agent ? { 'user-agent': agent } : {} });
      expect(del.status).toBe(403);
    }
    expect(await johnAsBobSeesIt()).toEqual(before);
  });

  it('a manager\'s edit from an iPhone is stored as ever (Shared is writable for her)', async () => {
    const list = await dav(f.server, 'PROPFIND', '/carddav/acme/ann/shared/', { depth: '1', body: '<propfind xmlns="DAV:"><prop><getetag/><address-data xmlns="urn:ietf:params:xml:ns:carddav"/></prop></propfind>' });
    const john = multistatus(list.text).responses.find((r) => r.props.get(C('address-data'))?.text.includes('FN:John Doe'))!;
    const body = edited(uidOf(john.props.get(C('address-data'))!.text)).replace('+1 415 555 0199', '+1 415 555 0142');
    const put = await dav(f.server, 'PUT', john.href, { body, headers: { 'content-type': 'text/vcard', 'if-match': john.props.get(D('getetag'))!.text, 'user-agent': AGENTS.ios } });
    expect(put.status).toBe(204);
    const back = await dav(f.server, 'GET', john.href);
    expect(back.headers.get('etag')).not.toBe(john.props.get(D('getetag'))!.text);
    expect(back.text).toContain('555 0142');
  });
});

describe('OPTIONS', () => {
  it('answers OPTIONS / (macOS sends it while adding an account) with a DAV header', async () => {
    const r = await dav(f.server, 'OPTIONS', '/', { auth: null, headers: { 'user-agent': AGENTS.macosOld } });
    expect(r.status).toBe(200);
    expect(r.headers.get('dav')!.split(',').map((s) => s.trim())).toEqual(expect.arrayContaining(['1', '3', 'addressbook']));
    expect(r.headers.get('allow')).toContain('PROPFIND');
  });

  it('lists addressbook on the principal, the home and each book (Evolution and DAVx5 check it)', async () => {
    for (const path of ['/carddav/acme/ann/', '/carddav/acme/ann/shared/', '/carddav/acme/ann/personal/', '/carddav/acme/ann/colleagues/']) {
      const r = await dav(f.server, 'OPTIONS', path);
      expect(r.status).toBe(200);
      expect(r.headers.get('dav')).toContain('addressbook');
      expect(r.headers.get('allow')).toContain('REPORT');
    }
  });
});
