// CardDAV reads over raw XML: discovery, PROPFIND at each level, GET, multiget and query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardLines, dav, multistatus, PROP_ETAG_DATA, startDavFixture, type DavFixture } from './carddav-helpers.ts';

let f: DavFixture;
beforeAll(async () => { f = await startDavFixture(); });
afterAll(async () => { await f.server.close(); });

const D = (n: string) => `{DAV:}${n}`;
const C = (n: string) => `{urn:ietf:params:xml:ns:carddav}${n}`;
const SHARED = '/carddav/acme/ann/shared/';

async function sharedCards() {
  const r = await dav(f.server, 'PROPFIND', SHARED, { depth: '1', body: PROP_ETAG_DATA });
  return multistatus(r.text).responses.filter((x) => x.href !== SHARED);
}

describe('discovery', () => {
  it('redirects /.well-known/carddav and PROPFIND / to the service root', async () => {
    const w = await dav(f.server, 'PROPFIND', '/.well-known/carddav', { auth: null });
    expect(w.status).toBe(301);
    expect(w.headers.get('location')).toBe('/carddav/');
    const root = await dav(f.server, 'PROPFIND', '/', { auth: null });
    expect(root.status).toBe(301);
    expect(root.headers.get('location')).toBe('/carddav/');
  });

  it('answers OPTIONS without credentials, advertising addressbook', async () => {
    const r = await dav(f.server, 'OPTIONS', '/carddav/', { auth: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('dav')).toContain('addressbook');
    expect(r.headers.get('allow')).toContain('REPORT');
  });

  it('names the principal and the home set from the root', async () => {
    const r = await dav(f.server, 'PROPFIND', '/carddav/', { depth: '0', body: '<propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>' });
    expect(r.status).toBe(207);
    const [root] = multistatus(r.text).responses;
    expect(root.props.get(D('current-user-principal'))!.el.children[0].text).toBe('/carddav/acme/ann/');
    const h = await dav(f.server, 'PROPFIND', '/carddav/acme/ann/', { depth: '0', body: '<A:propfind xmlns:A="DAV:"><A:prop><B:addressbook-home-set xmlns:B="urn:ietf:params:xml:ns:carddav"/><A:displayname/></A:prop></A:propfind>' });
    const [home] = multistatus(h.text).responses;
    expect(home.props.get(C('addressbook-home-set'))!.el.children[0].text).toBe('/carddav/acme/ann/');
    expect(home.props.get(D('displayname'))!.text).toBe('Ann Manager');
  });

  it('lists three books for a manager with their properties, shared writable', async () => {
    const body = `<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>
      <d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/><d:supported-report-set/><c:supported-address-data/><d:current-user-privilege-set/></d:prop></d:propfind>`;
    const r = await dav(f.server, 'PROPFIND', '/carddav/acme/ann/', { depth: '1', body });
    const books = multistatus(r.text).responses.filter((x) => x.props.get(D('resourcetype'))!.children.includes(C('addressbook')));
    expect(books.map((b) => b.href)).toEqual(['/carddav/acme/ann/shared/', '/carddav/acme/ann/personal/', '/carddav/acme/ann/colleagues/']);
    expect(books.map((b) => b.props.get(D('displayname'))!.text)).toEqual(['Shared contacts', 'Personal', 'Colleagues']);
    const shared = books[0];
    expect(shared.props.get(D('sync-token'))!.text).toMatch(/^http:\/\/dialbook\.org\/ns\/sync\/[0-9a-f]{24}\/r\d+$/);
    expect(shared.props.get('{http://calendarserver.org/ns/}getctag')!.text).toMatch(/^[0-9a-f]{24}-r\d+$/);
    const reports = shared.props.get(D('supported-report-set'))!.el.children.map((s) => s.children[0].children[0].name);
    expect(reports).toEqual(['addressbook-multiget', 'addressbook-query', 'sync-collection']);
    const versions = shared.props.get(C('supported-address-data'))!.el.children.map((x) => x.attrs.version);
    expect(versions).toEqual(['3.0', '4.0']);
    const privs = (b: typeof shared) => b.props.get(D('current-user-privilege-set'))!.el.children.map((p) => p.children[0].name);
    expect(privs(shared)).toContain('write');
    expect(privs(books[2])).not.toContain('write');
  });

  it('shows a basic user the shared book read-only and no colleagues when the account hides users', async () => {
    const body = '<propfind xmlns="DAV:"><prop><current-user-privilege-set/></prop></propfind>';
    const r = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/shared/', { login: 'bob@acme', password: 'bob-password-2', depth: '0', body });
    const privs = multistatus(r.text).responses[0].props.get(D('current-user-privilege-set'))!.el.children.map((p) => p.children[0].name);
    expect(privs).toEqual(['read', 'read-current-user-privilege-set']);
    await f.server.ctx.db.updateAccount('acme', { settings: { showUsersInDirectory: false } }, { id: 'test' });
    try {
      const home = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/', { login: 'bob@acme', password: 'bob-password-2', depth: '1' });
      expect(multistatus(home.text).responses.map((x) => x.href)).toEqual(['/carddav/acme/bob/', '/carddav/acme/bob/shared/', '/carddav/acme/bob/personal/']);
      const col = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/colleagues/', { login: 'bob@acme', password: 'bob-password-2', depth: '0' });
      expect(col.status).toBe(404);
    } finally {
      await f.server.ctx.db.updateAccount('acme', { settings: { showUsersInDirectory: true } }, { id: 'test' });
    }
  });
});

describe('PROPFIND on books and cards', () => {
  it('lists every shared contact with an ETag and a vCard 3.0 body; unknown properties are 404', async () => {
    const r = await dav(f.server, 'PROPFIND', SHARED, { depth: '1', body: '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/><x:nope xmlns:x="urn:example"/></d:prop></d:propfind>' });
    expect(r.status).toBe(207);
    const all = multistatus(r.text).responses;
    expect(all[0].href).toBe(SHARED);
    const cards = all.slice(1);
    expect(cards).toHaveLength(3);
    for (const c of cards) {
      expect(c.href).toMatch(/^\/carddav\/acme\/ann\/shared\/[0-9a-f-]{36}\.vcf$/);
      expect(c.props.get(D('getetag'))!.text).toMatch(/^"\d+-[0-9a-z]+"$/);
      expect(c.missing).toEqual(['{urn:example}nope']);
    }
    const john = cards.map((c) => cardLines(c.props.get(C('address-data'))!.text)).find((l) => l.includes('FN:John Doe'))!;
    expect(john).toContain('VERSION:3.0');
    expect(john).toContain('N:Doe;John;;;');
    expect(john).toContain('ORG:Doe & Sons');
    expect(john).toContain('TEL;TYPE=WORK,VOICE:+1 415 555 0100');
    expect(john).toContain('TEL;TYPE=CELL,VOICE:+14155550101');
    expect(john).toContain('EMAIL;TYPE=INTERNET,WORK:john@doe.test');
    expect(john).toContain('CATEGORIES:Sales');
    const uid = john.find((l) => l.startsWith('UID:'))!.slice(4);
    expect(cards.find((c) => c.href.endsWith(`${uid}.vcf`))).toBeTruthy();
  });

  it('returns a book only with Depth 0, and allprop without bodies', async () => {
    const r = await dav(f.server, 'PROPFIND', SHARED, { depth: '0' });
    const all = multistatus(r.text).responses;
    expect(all).toHaveLength(1);
    expect(all[0].props.has(D('displayname'))).toBe(true);
    const cards = await sharedCards();
    const one = await dav(f.server, 'PROPFIND', cards[0].href, { depth: '0' });
    const [card] = multistatus(one.text).responses;
    expect(card.props.get(D('getetag'))!.text).toBe(cards[0].props.get(D('getetag'))!.text);
    expect(card.props.has(C('address-data'))).toBe(false);
    expect(card.props.get(D('getcontenttype'))!.text).toContain('text/vcard');
  });

  it('shows internal users in Colleagues with their extension, and personal contacts only to their owner', async () => {
    const r = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/colleagues/', { login: 'bob@acme', password: 'bob-password-2', depth: '1', body: PROP_ETAG_DATA });
    const bodies = multistatus(r.text).responses.slice(1).map((x) => cardLines(x.props.get(C('address-data'))!.text));
    expect(bodies).toHaveLength(2);
    expect(bodies.find((l) => l.includes('FN:Ann Manager'))).toContain('TEL;TYPE=WORK,VOICE:201');
    const p = await dav(f.server, 'PROPFIND', '/carddav/acme/ann/personal/', { depth: '1' });
    expect(multistatus(p.text).responses).toHaveLength(1);
  });
});

describe('GET', () => {
  it('serves one card with its ETag, 304 on If-None-Match, vCard 4.0 on request', async () => {
    const [c] = await sharedCards();
    const etag = c.props.get(D('getetag'))!.text;
    const r = await dav(f.server, 'GET', c.href);
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe(etag);
    expect(r.headers.get('content-type')).toContain('text/vcard');
    expect(r.text).toBe(c.props.get(C('address-data'))!.text.replace(/\n/g, '\r\n').replace(/\r\r/g, '\r'));
    const again = await dav(f.server, 'GET', c.href, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const all = await Promise.all((await sharedCards()).map((x) => dav(f.server, 'GET', x.href, { headers: { accept: 'text/vcard; version=4.0' } })));
    const john = all.map((x) => cardLines(x.text)).find((l) => l.some((s) => s.startsWith('FN:John')))!;
    expect(john).toContain('VERSION:4.0');
    expect(john).toContain('TEL;VALUE=uri;TYPE="work,voice":tel:+1-415-555-0100');
    expect(john).toContain('TEL;VALUE=uri;TYPE="cell,voice":tel:+14155550101');
  });

  it('is 404 for unknown cards and for cards of another book', async () => {
    const [c] = await sharedCards();
    expect((await dav(f.server, 'GET', c.href.replace('/shared/', '/personal/'))).status).toBe(404);
    expect((await dav(f.server, 'GET', `${SHARED}00000000-0000-7000-8000-000000000000.vcf`)).status).toBe(404);
  });
});

describe('REPORT addressbook-multiget', () => {
  it('returns the asked cards in order, and 404 for hrefs that are not cards of this book', async () => {
    const cards = await sharedCards();
    const other = `${SHARED}missing.vcf`;
    const body = `<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">
      <d:prop><d:getetag/><c:address-data/></d:prop>
      <d:href>${cards[1].href}</d:href><d:href>${other}</d:href><d:href>http://example.test${cards[0].href}</d:href>
      <d:href>/carddav/globex/eve/shared/x.vcf</d:href></c:addressbook-multiget>`;
    const r = await dav(f.server, 'REPORT', SHARED, { depth: '1', body });
    expect(r.status).toBe(207);
    const got = multistatus(r.text).responses;
    expect(got.map((x) => x.href)).toEqual([cards[1].href, other, cards[0].href, '/carddav/globex/eve/shared/x.vcf']);
    expect(got[0].props.get(D('getetag'))!.text).toBe(cards[1].props.get(D('getetag'))!.text);
    expect(got[0].props.get(C('address-data'))!.text).toBe(cards[1].props.get(C('address-data'))!.text);
    expect(got[1].status).toBe('HTTP/1.1 404 Not Found');
    expect(got[3].status).toBe('HTTP/1.1 404 Not Found');
  });

  it('answers vCard 4.0 when address-data asks for it', async () => {
    const [c] = await sharedCards();
    const body = `<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><c:address-data content-type="text/vcard" version="4.0"/></d:prop><d:href>${c.href}</d:href></c:addressbook-multiget>`;
    const r = await dav(f.server, 'REPORT', SHARED, { body });
    expect(multistatus(r.text).responses[0].props.get(C('address-data'))!.text).toContain('VERSION:4.0');
  });

  it('refuses more hrefs than configured', async () => {
    const hrefs = Array.from({ length: 3 }, (_, i) => `<d:href>${SHARED}${i}.vcf</d:href>`).join('');
    const small = await startDavFixture({ carddav: { maxMultigetHrefs: 2 } });
    try {
      const r = await dav(small.server, 'REPORT', SHARED, { body: `<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop>${hrefs}</c:addressbook-multiget>` });
      expect(r.status).toBe(403);
      expect(r.text).toContain('number-of-matches-within-limits');
      expect(r.text).toContain('at most 2');
    } finally {
      await small.server.close();
    }
  });
});

describe('REPORT addressbook-query', () => {
  const q = (filter: string, extra = '') => `<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop>${filter}${extra}</c:addressbook-query>`;
  const fns = async (filter: string, extra = '') => {
    const r = await dav(f.server, 'REPORT', SHARED, { depth: '1', body: q(filter, extra) });
    expect(r.status).toBe(207);
    return multistatus(r.text).responses.filter((x) => x.props.size > 0).map((x) => cardLines(x.props.get(C('address-data'))!.text).find((l) => l.startsWith('FN:'))!.slice(3)).sort();
  };
  it('matches FN, N, ORG, EMAIL and TEL with each match type, accents folded', async () => {
    expect(await fns('<c:filter><c:prop-filter name="FN"><c:text-match match-type="contains">OHN</c:text-match></c:prop-filter></c:filter>')).toEqual(['John Doe']);
    expect(await fns('<c:filter><c:prop-filter name="N"><c:text-match match-type="starts-with">angs</c:text-match></c:prop-filter></c:filter>')).toEqual(['Zoë Ångström']);
    expect(await fns('<c:filter><c:prop-filter name="ORG"><c:text-match match-type="equals">acme plumbing</c:text-match></c:prop-filter></c:filter>')).toEqual(['Acme Plumbing']);
    expect(await fns('<c:filter><c:prop-filter name="EMAIL"><c:text-match match-type="ends-with">doe.test</c:text-match></c:prop-filter></c:filter>')).toEqual(['John Doe']);
    expect(await fns('<c:filter><c:prop-filter name="TEL"><c:text-match match-type="equals">(415) 555-0199</c:text-match></c:prop-filter></c:filter>')).toEqual(['Acme Plumbing']);
    expect(await fns('<c:filter><c:prop-filter name="TEL"><c:text-match match-type="ends-with">0102</c:text-match></c:prop-filter></c:filter>')).toEqual(['Zoë Ångström']);
    expect(await fns('<c:filter><c:prop-filter name="TEL"><c:text-match match-type="starts-with">1415555010</c:text-match></c:prop-filter></c:filter>')).toEqual(['John Doe', 'Zoë Ångström']);
  });
  it('combines with anyof/allof, negation and is-not-defined; honours nresults', async () => {
    expect(await fns('<c:filter test="anyof"><c:prop-filter name="FN"><c:text-match>john</c:text-match></c:prop-filter><c:prop-filter name="ORG"><c:text-match>plumb</c:text-match></c:prop-filter></c:filter>')).toEqual(['Acme Plumbing', 'John Doe']);
    expect(await fns('<c:filter test="allof"><c:prop-filter name="FN"><c:text-match>john</c:text-match></c:prop-filter><c:prop-filter name="ORG"><c:text-match>plumb</c:text-match></c:prop-filter></c:filter>')).toEqual([]);
    expect(await fns('<c:filter><c:prop-filter name="FN"><c:text-match negate-condition="yes">john</c:text-match></c:prop-filter></c:filter>')).toEqual(['Acme Plumbing', 'Zoë Ångström']);
    expect(await fns('<c:filter><c:prop-filter name="EMAIL"><c:is-not-defined/></c:prop-filter></c:filter>')).toEqual(['Acme Plumbing', 'Zoë Ångström']);
    const r = await dav(f.server, 'REPORT', SHARED, { body: q('<c:filter/>', '<c:limit><c:nresults>1</c:nresults></c:limit>') });
    const got = multistatus(r.text).responses;
    expect(got).toHaveLength(2);
    expect(got[1]).toMatchObject({ href: SHARED, status: 'HTTP/1.1 507 Insufficient Storage' });
  });
  it('refuses filters it cannot answer with CARDDAV:supported-filter', async () => {
    const r = await dav(f.server, 'REPORT', SHARED, { body: q('<c:filter><c:prop-filter name="ADR"><c:text-match>x</c:text-match></c:prop-filter></c:filter>') });
    expect(r.status).toBe(403);
    expect(r.text).toContain('supported-filter');
    expect(r.text).toContain('ADR');
  });
});

describe('bad requests', () => {
  it('rejects malformed XML, DOCTYPEs and unknown reports with a reason', async () => {
    const bad = await dav(f.server, 'PROPFIND', SHARED, { body: '<propfind xmlns="DAV:"><prop></propfind>' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('not well-formed');
    const dtd = await dav(f.server, 'PROPFIND', SHARED, { body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><propfind xmlns="DAV:"><prop>&a;</prop></propfind>' });
    expect(dtd.status).toBe(400);
    expect(dtd.text).toContain('DOCTYPE');
    const rep = await dav(f.server, 'REPORT', SHARED, { body: '<x:expand-property xmlns:x="DAV:"/>' });
    expect(rep.status).toBe(403);
    expect(rep.text).toContain('supported-report');
    const undeclared = await dav(f.server, 'PROPFIND', SHARED, { body: '<d:propfind/>' });
    expect(undeclared.status).toBe(400);
  });

  it('refuses bodies over the limit with 413', async () => {
    const big = `<propfind xmlns="DAV:"><prop>${'<displayname/>'.repeat(400_000)}</prop></propfind>`;
    const r = await dav(f.server, 'PROPFIND', SHARED, { body: big });
    expect(r.status).toBe(413);
  });
});

describe('compression', () => {
  it('gzips a large multistatus for apps that accept it, and not for others', async () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ firstName: `Person${i}`, lastName: 'Many', workNumber: `+1 415 555 ${String(1000 + i)}` }));
    const big = await startDavFixture({}, many);
    try {
      const zipped = await dav(big.server, 'PROPFIND', SHARED, { depth: '1', body: PROP_ETAG_DATA, headers: { 'accept-encoding': 'gzip' } });
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      expect(multistatus(zipped.text).responses).toHaveLength(81);
      const plain = await dav(big.server, 'PROPFIND', SHARED, { depth: '1', body: PROP_ETAG_DATA, headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(plain.text).toBe(zipped.text);
    } finally {
      await big.server.close();
    }
  });
});
