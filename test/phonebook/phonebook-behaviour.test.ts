// Phonebook behaviour shared by every vendor: auth, isolation, paging, search, reverse lookup,
// groups, freshness (ETag/304, change visible at once), gzip, provisioning lines, broken templates.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { VendorRegistry } from '../../src/phonebook/vendor-registry.ts';
import { escapeXmlAttr, escapeXmlText } from '../../src/phonebook/xml-escape.ts';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
const AUTH: [string, string] = ['phones', 'phone-secret-1'];
const count = (xml: string, tag: string) => (xml.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length;
const get = (path: string) => request(srv.httpUrl).get(path).auth(...AUTH);

beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, {
    id: 'acme', settings: { showUsersInDirectory: false }, phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    users: [{ username: 'olivia', scope: 'office_manager' }, { username: 'bob', scope: 'basic' }],
    contacts: Array.from({ length: 64 }, (_, i) => ({
      firstName: `Person${String(i).padStart(2, '0')}`, lastName: i < 3 ? 'Álvarez' : 'Zed', workNumber: `21455501${String(i).padStart(2, '0')}`,
      groups: i % 2 ? ['Odd'] : [],
    })),
  });
  await seedAccount(srv.ctx, {
    id: 'globex', phoneCredentials: { username: 'phones', password: 'globex-secret-1' },
    contacts: [{ lastName: 'Secret', workNumber: '3125550100' }],
  });
});
afterAll(async () => { await srv.close(); });

describe('phone access', () => {
  it('asks for credentials, and never opens another account with one account\'s credentials', async () => {
    const none = await request(srv.httpUrl).get('/phonebook/acme/yealink.xml');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect((await request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth('phones', 'wrong')).status).toBe(401);
    const cross = await request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth('phones', 'globex-secret-1');
    expect(cross.status).toBe(401);
    expect(cross.text).not.toContain('Secret');
    const unknown = await request(srv.httpUrl).get('/phonebook/nope/yealink.xml').auth(...AUTH);
    expect(unknown.status).toBe(401);
  });

  it('accepts the path token instead, and nothing else in its place', async () => {
    const ok = await request(srv.httpUrl).get(`/phonebook/t/${acme.pathToken}/yealink.xml`);
    expect(ok.status).toBe(200);
    expect(count(ok.text, 'DirectoryEntry')).toBe(64);
    expect((await request(srv.httpUrl).get('/phonebook/t/not-a-token/yealink.xml')).status).toBe(401);
  });

  it('applies the account\'s IP allow-list', async () => {
    await srv.ctx.db.updateAccount('acme', { settings: { phoneAllowList: ['10.9.8.0/24'] } }, { id: 'test' });
    expect((await get('/phonebook/acme/yealink.xml')).status).toBe(403);
    await srv.ctx.db.updateAccount('acme', { settings: { phoneAllowList: ['127.0.0.0/8', '::1/128'] } }, { id: 'test' });
    expect((await get('/phonebook/acme/yealink.xml')).status).toBe(200);
    await srv.ctx.db.updateAccount('acme', { settings: { phoneAllowList: [] } }, { id: 'test' });
  });

  it('checks the allow-list against X-Forwarded-For only behind a trusted proxy, as express\'s req.ip does', async () => {
    await srv.ctx.db.updateAccount('acme', { settings: { phoneAllowList: ['10.9.8.0/24'] } }, { id: 'test' });
    const behind = await startTestServer({ dataDir: srv.dataDir, http: { trustProxy: 'loopback' } });
    try {
      const via = (server: TestServer, forwarded: string) => request(server.httpUrl).get('/phonebook/acme/yealink.xml').auth(...AUTH).set('X-Forwarded-For', forwarded);
      expect((await via(behind, '10.9.8.7')).status).toBe(200);
      expect((await via(behind, '192.0.2.1')).status).toBe(403);
      // the phone's own claim after an untrusted hop counts for nothing: the hop is the client
      expect((await via(behind, '10.9.8.7, 192.0.2.1')).status).toBe(403);
      // without a trusted proxy the header is ignored: the socket's address (127.0.0.1) is the client
      expect((await via(srv, '10.9.8.7')).status).toBe(403);
    } finally {
      await behind.stop();
      await srv.ctx.db.updateAccount('acme', { settings: { phoneAllowList: [] } }, { id: 'test' });
    }
  });

  it('answers unknown files with 404 and wrong methods with 405; Snom may POST', async () => {
    expect((await get('/phonebook/acme/nokia.xml')).status).toBe(404);
    expect((await request(srv.httpUrl).post('/phonebook/acme/yealink.xml').auth(...AUTH)).status).toBe(405);
    const snom = await request(srv.httpUrl).post('/phonebook/acme/snom.xml').auth(...AUTH).type('form').send({ q: 'person01' });
    expect(snom.status).toBe(200);
    expect((snom.text.match(/<item /g) ?? []).length).toBe(1);
    expect(snom.text).toContain('Person01');
  });
});

describe('paging, search, groups, reverse lookup', () => {
  it('pages Cisco at 32 entries with Previous/Next at the boundaries', async () => {
    const p1 = await get('/phonebook/acme/cisco.xml?view=directory');
    expect(count(p1.text, 'DirectoryEntry')).toBe(32);
    // Refresh 0: the phone's Update soft key reloads the page by hand, nothing reloads by itself
    expect(p1.headers.refresh).toBe('0');
    expect(p1.text).toContain('<Name>Next</Name>');
    expect(p1.text).not.toContain('<Name>Previous</Name>');
    const p2 = await get('/phonebook/acme/cisco.xml?page=2&junk=1&utm_source=x');
    expect(count(p2.text, 'DirectoryEntry')).toBe(32);
    expect(p2.text).toContain('<Name>Previous</Name>');
    expect(p2.text).not.toContain('<Name>Next</Name>');
    expect((await get('/phonebook/acme/cisco.xml?page=3')).text).not.toContain('<DirectoryEntry>');
    // The page links carry only what the phone needs, whatever else the request carried
    expect(p2.text).toContain('cisco.xml?view=directory</URL>');
  });

  it('lists only the groups that hold a contact phones see, never one only a personal contact is in', async () => {
    // a user's personal contact put in a new group (as a CardDAV group card in a personal book does)
    await srv.ctx.db.createContact('acme', { source: 'personal', userId: acme.users.bob.id },
      prepareContact({ lastName: 'Private', workNumber: '7135550111', groups: ['Bob Divorce Lawyers'] }, 'US'), { id: 'test' });
    // a shared contact without a number: phones skip it, so its group names nothing they show
    await srv.ctx.db.createContact('acme', { source: 'shared' }, prepareContact({ lastName: 'Numberless', groups: ['No Numbers'] }, 'US'), { id: 'test' });
    const menu = await get('/phonebook/acme/yealink.xml?view=groups');
    expect(menu.status).toBe(200);
    expect(menu.text).toContain('<Name>Odd</Name>');
    expect(menu.text).not.toContain('Bob Divorce Lawyers');
    expect(menu.text).not.toContain('No Numbers');
    const grandstream = await get('/phonebook/acme/grandstream/phonebook.xml');
    expect(grandstream.text).toContain('Odd');
    expect(grandstream.text).not.toContain('Bob Divorce Lawyers');
    expect(grandstream.text).not.toContain('No Numbers');
    // the group shows once a shared contact is in it
    await srv.ctx.db.createContact('acme', { source: 'shared' }, prepareContact({ lastName: 'Lawyer', workNumber: '7135550112', groups: ['Bob Divorce Lawyers'] }, 'US'), { id: 'test' });
    expect((await get('/phonebook/acme/yealink.xml?view=groups')).text).toContain('<Name>Bob Divorce Lawyers</Name>');
  });

  it('pages 33 entries into 32 + 1', async () => {
    const p2 = await get('/phonebook/acme/cisco.xml?group=Odd&page=1');
    expect(count(p2.text, 'DirectoryEntry')).toBe(32);
    expect(p2.text).not.toContain('<Name>Next</Name>');
    await srv.ctx.db.createContact('acme', { source: 'shared' }, prepareContact({ lastName: 'Extra', workNumber: '7135550100', groups: ['Odd'] }, 'US'), { id: 'test' });
    const after = await get('/phonebook/acme/cisco.xml?group=Odd');
    expect(after.text).toContain('<Name>Next</Name>');
    const last = await get('/phonebook/acme/cisco.xml?group=Odd&page=2');
    expect(count(last.text, 'DirectoryEntry')).toBe(1);
  });

  it('searches accent-insensitively (Yealink #SEARCH), and ignores an unexpanded #SEARCH', async () => {
    const r = await get('/phonebook/acme/yealink.xml?q=alvarez');
    expect(count(r.text, 'DirectoryEntry')).toBe(3);
    const raw = await get('/phonebook/acme/yealink.xml?q=%23SEARCH');
    expect(count(raw.text, 'DirectoryEntry')).toBeGreaterThan(60);
  });

  it('looks a caller up by number in any format (Cisco ?n=, Gigaset hm=)', async () => {
    for (const path of ['/phonebook/acme/cisco.xml?n=%2B12145550105', '/phonebook/acme/cisco.xml?n=2145550105', '/phonebook/acme/gigaset.xml?command=get_list&type=pb&hm=5550105']) {
      const r = await get(path);
      expect(r.text, path).toContain('Person05');
      expect(r.text, path).not.toContain('Person06');
    }
  });

  it('pages Gigaset by first/count', async () => {
    const r = await get('/phonebook/acme/gigaset.xml?command=get_list&type=pb&first=3&count=2');
    expect(count(r.text, 'entry')).toBe(2);
    expect(r.text).toMatch(/first="3" last="4"/);
  });
});

describe('freshness', () => {
  it('answers a matching If-None-Match with 304, and shows a manager\'s change on the next fetch', async () => {
    const first = await get('/phonebook/acme/yealink.xml');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"pb\d+-/);
    expect(first.headers['last-modified']).toBeDefined();
    const again = await get('/phonebook/acme/yealink.xml').set('If-None-Match', etag);
    expect(again.status).toBe(304);
    await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set('Authorization', `Bearer ${acme.tokens.olivia}`)
      .send({ company: 'Brand New Supplier', workNumber: '4155550100' }).expect(201);
    const changed = await get('/phonebook/acme/yealink.xml').set('If-None-Match', etag);
    expect(changed.status).toBe(200);
    expect(changed.text).toContain('Brand New Supplier');
  });

  it('gzips when the phone asks', async () => {
    const r = await request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth(...AUTH).set('Accept-Encoding', 'gzip');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.text).toContain('<YealinkIPPhoneDirectory>');
  });
});

describe('provisioning lines', () => {
  it('gives managers each vendor\'s lines with this server\'s URL and the account\'s credentials', async () => {
    const r = await request(srv.httpUrl).get('/api/v1/accounts/acme/provisioning/yealink').set('Authorization', `Bearer ${acme.tokens.olivia}`);
    expect(r.status).toBe(200);
    expect(r.body.lines).toContain(`remote_phonebook.data.1.url = ${srv.httpUrl}/phonebook/t/${acme.pathToken}/yealink.xml`);
    const list = await request(srv.httpUrl).get('/api/v1/accounts/acme/provisioning').set('Authorization', `Bearer ${acme.tokens.olivia}`);
    expect(list.body.items.map((v: { vendor: string }) => v.vendor)).toEqual(expect.arrayContaining(['yealink', 'polycom', 'cisco', 'grandstream', 'snom', 'fanvil', 'htek', 'gigaset', 'aastra']));
    const basic = await request(srv.httpUrl).get('/api/v1/accounts/acme/provisioning/yealink').set('Authorization', `Bearer ${acme.tokens.bob}`);
    expect(basic.status).toBe(403);
  });
});

describe('templates', () => {
  it('reports a broken template at start with its file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialbook-templates-'));
    cpSync(resolve(import.meta.dirname, '../../directory-templates'), dir, { recursive: true });
    writeFileSync(join(dir, 'fanvil.xml.hbs'), '<PhoneBook>{{#each entries}}<Name>{{name}}</Name></PhoneBook>');
    expect(() => VendorRegistry.load(dir)).toThrow(/fanvil\.xml\.hbs/);
    writeFileSync(join(dir, 'fanvil.xml.hbs'), '<PhoneBook>{{{name}}}</PhoneBook>');
    expect(() => VendorRegistry.load(dir)).toThrow(/fanvil\.xml\.hbs.*unescaped/);
    // a value inside a tag must stand in a double-quoted attribute, where " gets escaped
    writeFileSync(join(dir, 'fanvil.xml.hbs'), "<PhoneBook>{{#each entries}}<E n='{{name}}'/>{{/each}}</PhoneBook>");
    expect(() => VendorRegistry.load(dir)).toThrow(/fanvil\.xml\.hbs.*double-quoted attribute/);
    writeFileSync(join(dir, 'fanvil.xml.hbs'), '<PhoneBook>{{#each entries}}<E {{name}}/>{{/each}}</PhoneBook>');
    expect(() => VendorRegistry.load(dir)).toThrow(/fanvil\.xml\.hbs.*double-quoted attribute/);
  });

  it('escapes exactly what XML needs, by position, and drops what XML cannot carry', () => {
    expect(escapeXmlText(`a & b < c > d "e" 'f' = g`)).toBe(`a &amp; b &lt; c &gt; d "e" 'f' = g`);
    expect(escapeXmlAttr(`a & b < c > d "e" 'f' = g`)).toBe(`a &amp; b &lt; c &gt; d &quot;e&quot; 'f' = g`);
    expect(escapeXmlText('bell\u0007 nul\u0000 tab\t lone\uD800 pair😀 \uFFFE')).toBe('bell nul tab\t lone pair😀 ');
    expect(escapeXmlText(7)).toBe('7');
    const dir = mkdtempSync(join(tmpdir(), 'dialbook-templates-'));
    cpSync(resolve(import.meta.dirname, '../../directory-templates'), dir, { recursive: true });
    writeFileSync(join(dir, 'fanvil.xml.hbs'), '<P t="{{title}}">{{title}}</P>');
    const fanvil = VendorRegistry.load(dir).byName('fanvil')!;
    const model = { title: `A&B "C" <D>` } as unknown as Parameters<typeof fanvil.templates.default>[0];
    expect(fanvil.templates.default(model)).toBe('<P t="A&amp;B &quot;C&quot; &lt;D&gt;">A&amp;B "C" &lt;D&gt;</P>');
  });
});
