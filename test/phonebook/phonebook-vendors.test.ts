// Issue #9 defect by defect, over the real HTTP server: each vendor the way its phones read it,
// dialable numbers in the vendor's (or the account's) form, and the provisioning lines.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';
import { xmlProblem } from './xml-check.ts';

let srv: TestServer;
let acme: SeededAccount;
const AUTH: [string, string] = ['phones', 'phone-secret-1'];
const get = (path: string) => request(srv.httpUrl).get(path).auth(...AUTH);
const lines = async (vendor: string) => {
  const r = await request(srv.httpUrl).get(`/api/v1/accounts/acme/provisioning/${vendor}`).set('Authorization', `Bearer ${acme.tokens.olivia}`);
  expect(r.status).toBe(200);
  return r.body.lines as string[];
};

beforeAll(async () => {
  srv = await startTestServer({ publicUrl: 'https://dir.example' });
  acme = await seedAccount(srv.ctx, {
    id: 'acme', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    users: [{ username: 'olivia', scope: 'office_manager' }],
    contacts: [
      { firstName: 'Ana', lastName: 'Zapata', workNumber: '+1 (469) 429-2500', mobileNumber: '(214) 555-0101', groups: ['Sales'] },
      { firstName: 'Bob', lastName: 'Anders', workNumber: '972-555-0110', groups: ['Support'] },
      { firstName: 'Carla', lastName: 'Nunez', workNumber: '+44 20 7946 0958', mobileNumber: '+1 312 555 0199', homeNumber: '+1 312 555 0198', faxNumber: '+1 312 555 0197' },
    ],
  });
});
afterAll(async () => { await srv.close(); });

describe('Grandstream (defect 1)', () => {
  it('provisions host/path without a scheme, HTTPS chosen by P330', async () => {
    const l = await lines('grandstream');
    expect(l).toContain('P330 = 3');
    const p331 = l.find((x) => x.startsWith('P331 = '))!;
    expect(p331).toMatch(/^P331 = dir\.example\/phonebook\/t\/[^/]+\/grandstream$/);
    // and the phone's request <P331>/phonebook.xml is served
    const path = p331.slice('P331 = dir.example'.length);
    const r = await request(srv.httpUrl).get(`${path}/phonebook.xml`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<AddressBook>');
  });

  it('uses the account index setting, Mobile, numeric groups declared by pbgroup, and version 1', async () => {
    let r = await get('/phonebook/acme/grandstream/phonebook.xml');
    expect(r.text).toContain('<version>1</version>');
    expect(r.text).toContain('<accountindex>0</accountindex>');
    expect(r.text).toContain('<Phone type="Mobile">');
    expect(r.text).not.toContain('Cell');
    const ids = [...r.text.matchAll(/<pbgroup>\s*<id>(\d+)<\/id>\s*<name>([^<]+)<\/name>/g)].map((m) => [m[2], m[1]]);
    expect(Object.fromEntries(ids)).toEqual({ Sales: '1', Support: '2' });
    expect(r.text).toMatch(/<FirstName>Ana<\/FirstName>[\s\S]*?<Group>1<\/Group>/);
    expect(r.text).not.toMatch(/<Group>[A-Za-z]/);
    await srv.ctx.db.updateAccount('acme', { settings: { phoneAccountIndex: 2 } }, { id: 'test' });
    r = await get('/phonebook/acme/grandstream/phonebook.xml');
    expect(r.text).toContain('<accountindex>2</accountindex>');
    expect(r.text).not.toContain('<accountindex>0</accountindex>');
    await srv.ctx.db.updateAccount('acme', { settings: { phoneAccountIndex: 0 } }, { id: 'test' });
  });
});

describe('Yealink (defects 2 and 5)', () => {
  it('writes the group menu as MenuItem/Name/URL', async () => {
    const r = await get('/phonebook/acme/yealink.xml?view=groups');
    expect(r.text).toMatch(/<MenuItem>\s*<Name>Sales<\/Name>\s*<URL>https:\/\/dir\.example\/phonebook\/acme\/yealink\.xml\?group=Sales<\/URL>/);
    expect(r.text).not.toMatch(/<Prompt>|<URI>/);
  });

  it('finds a contact by digits as well as by name (q=4694292500)', async () => {
    for (const q of ['4694292500', '469 429', '+14694292500', 'zapata', 'ana']) {
      const r = await get(`/phonebook/acme/yealink.xml?q=${encodeURIComponent(q)}`);
      expect(r.text, q).toContain('<Name>Ana Zapata</Name>');
      expect(r.text, q).not.toContain('Bob');
    }
  });

  it('serves dialable numbers: no brackets or spaces, E.164 by default, national by account setting', async () => {
    let r = await get('/phonebook/acme/yealink.xml');
    expect(r.text).toContain('<Telephone label="Work">+14694292500</Telephone>');
    expect(r.text).toContain('<Telephone label="Mobile">+12145550101</Telephone>');
    for (const m of r.text.matchAll(/<Telephone[^>]*>([^<]*)</g)) expect(m[1]).toMatch(/^\+?[0-9*#]+$/);
    await srv.ctx.db.updateAccount('acme', { settings: { dialNumberForm: 'national' } }, { id: 'test' });
    r = await get('/phonebook/acme/yealink.xml');
    expect(r.text).toContain('<Telephone label="Work">4694292500</Telephone>');
    // a foreign number cannot be dialled nationally: it stays E.164
    expect(r.text).toContain('<Telephone label="Work">+442079460958</Telephone>');
    await srv.ctx.db.updateAccount('acme', { settings: { dialNumberForm: 'vendor' } }, { id: 'test' });
  });
});

describe('account settings for phonebooks', () => {
  it('take dialNumberForm and phoneAccountIndex through the admin API, and refuse bad values naming the field', async () => {
    const patch = (settings: object) => request(srv.httpUrl).patch('/api/v1/accounts/acme').set('Authorization', `Bearer ${srv.adminToken}`).send({ settings });
    const bad = await patch({ dialNumberForm: 'pretty' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('dialNumberForm');
    expect((await patch({ phoneAccountIndex: 16 })).status).toBe(400);
    expect((await patch({ dialNumberForm: 'national', phoneAccountIndex: 1 })).status).toBe(200);
    const gs = await get('/phonebook/acme/grandstream/phonebook.xml');
    expect(gs.text).toContain('<phonenumber>4694292500</phonenumber>');
    expect(gs.text).toContain('<accountindex>1</accountindex>');
    expect((await patch({ dialNumberForm: 'vendor', phoneAccountIndex: 0 })).status).toBe(200);
  });
});

describe('Gigaset online directory (defect 3)', () => {
  const gs = (qs: string) => get(`/phonebook/acme/gigaset.xml?command=get_list&${qs}`);
  it('writes numbers in hm/mb/fx (never nb) and answers type pr as pr', async () => {
    const r = await gs('type=pr&fn=*&ln=*&hm=%2B13125550199&nr=*&mb=*&fx=*&first=1&count=1&reqsrc=auto');
    expect(r.text).toMatch(/<list response="get_list" type="pr" total="1" first="1" last="1">/);
    expect(r.text).toContain('<hm>+442079460958</hm>');
    expect(r.text).toContain('<mb>+13125550199</mb>');
    expect(r.text).toContain('<fx>+13125550197</fx>');
    expect(r.text).not.toContain('<nb>');
  });

  it('takes fn and ln as separate prefixes: fn=Ana&ln=* is Ana only', async () => {
    const r = await gs('type=pb&fn=Ana&ln=*');
    expect(r.text).toContain('total="1"');
    expect(r.text).toContain('<fn>Ana</fn>');
    const ln = await gs('type=pb&fn=*&ln=And*');
    expect(ln.text).toContain('<ln>Anders</ln>');
    expect(ln.text).toContain('total="1"');
  });

  it('looks a caller up by whichever number field carries the number (mb=, hm=*)', async () => {
    const r = await gs('type=pb&fn=*&ln=*&hm=*&mb=2145550101&fx=*&first=1&count=1&reqsrc=auto');
    expect(r.text).toContain('total="1"');
    expect(r.text).toContain('<fn>Ana</fn>');
  });

  it('reads nr as a house number, not a phone number', async () => {
    const all = /total="(\d+)"/.exec((await gs('type=pb')).text)![1];
    expect(Number(all)).toBeGreaterThanOrEqual(3);
    const r = await gs('type=pb&nr=4694292500');
    expect(r.text).toContain(`total="${all}"`);
  });

  it('answers a miss with notfound and honours first/last', async () => {
    const miss = await gs('type=pb&hm=0049301234567&reqsrc=auto');
    expect(miss.text.trim().split('\n').pop()).toBe('<list response="get_list" type="pb" notfound="hm" total="0"/>');
    const window = await gs('type=pb&first=2&last=3');
    expect((window.text.match(/<entry /g) ?? []).length).toBe(2);
    expect(window.text).toContain('first="2" last="3"');
  });

  it('serves the N670/N870 central phonebook file', async () => {
    const r = await get('/phonebook/acme/gigaset.xml?view=central');
    expect(xmlProblem(r.text)).toBeNull();
    expect(r.text).toContain('<entry surname="Zapata" name="Ana" office1="+14694292500" office2="" mobile1="+12145550101"');
  });
});

describe('Polycom (defect 4, size guard, search view)', () => {
  it('labels items with the display name, and the number type only where one contact has several', async () => {
    const r = await get('/phonebook/acme/polycom/0004f2000001-directory.xml');
    expect(r.text).toContain('<lb>Bob Anders</lb>');
    expect(r.text).toContain('<lb>Ana Zapata (Work)</lb>');
    expect(r.text).toContain('<lb>Ana Zapata (Mobile)</lb>');
    expect(r.text).not.toMatch(/<lb>(Work|Mobile|Home|Fax)<\/lb>/);
  });

  it('stays within the 200 KB dir.local limit, still well-formed', async () => {
    await seedAccount(srv.ctx, { id: 'huge', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
      contacts: Array.from({ length: 2500 }, (_, i) => ({ firstName: `Firstname${i}`, lastName: `Lastname${String(i).padStart(4, '0')}`, workNumber: `+1 214 55${String(i).padStart(5, '0')}` })) });
    const r = await get('/phonebook/huge/polycom/000000000000-directory.xml');
    expect(r.status).toBe(200);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(204800);
    expect(xmlProblem(r.text)).toBeNull();
    const items = (r.text.match(/<item>/g) ?? []).length;
    expect(items).toBeGreaterThan(1000);
    expect(items).toBeLessThan(2500);
  });

  it('offers a microbrowser search that links numbers with tel://', async () => {
    const form = await get('/phonebook/acme/polycom/search.html?view=search');
    expect(form.headers['content-type']).toMatch(/^text\/html/);
    expect(form.text).toContain('action="https://dir.example/phonebook/acme/polycom/search.html"');
    const hits = await get('/phonebook/acme/polycom/search.html?view=results&q=nunez');
    expect(hits.text).toContain('<a href="tel://+442079460958">Carla Nunez (Work)</a>');
    expect(hits.text).not.toContain('Zapata');
  });
});

describe('Cisco (defect 6)', () => {
  it('provisions Yes/No reverse lookup and no invented keys; the directory URL opens a menu', async () => {
    const l = await lines('cisco');
    expect(l).toContain('<Reverse_Phone_Lookup_Serv>Yes</Reverse_Phone_Lookup_Serv>');
    expect(l.join('\n')).not.toContain('Directory_Search_URL');
    const menu = await get('/phonebook/acme/cisco.xml');
    expect(menu.text).toContain('<CiscoIPPhoneMenu>');
    expect(menu.text).toContain('cisco.xml?view=search</URL>');
    // the reverse lookup the phone sends, XML_Directory_Service_URL?n=<number>, is a directory
    const rev = await get('/phonebook/acme/cisco.xml?n=4694292500');
    expect(rev.text).toContain('<CiscoIPPhoneDirectory>');
    expect(rev.text).toContain('<Telephone>4694292500</Telephone>');
  });
});

describe('Cisco (issue 21)', () => {
  it('adds the number type only to contacts with several numbers, and never to a reverse lookup\'s name', async () => {
    const all = await get('/phonebook/acme/cisco.xml?view=directory');
    const names = [...all.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]).filter((n) => !['Dial', 'Exit', 'Next', 'Previous'].includes(n));
    expect(names).toContain('Bob Anders');
    expect(names).toContain('Ana Zapata (Work)');
    expect(names).toContain('Ana Zapata (Mobile)');
    // the name an MPP phone puts into the call screen and call history
    const rev = await get('/phonebook/acme/cisco.xml?n=2145550101');
    expect(rev.text).toContain('<Name>Ana Zapata</Name>');
  });

  it('answers an empty search (cisco.xml?q=) with the whole list, not the menu', async () => {
    const r = await get('/phonebook/acme/cisco.xml?q=');
    expect(r.text).toContain('<CiscoIPPhoneDirectory>');
    expect(r.text).not.toContain('<CiscoIPPhoneMenu>');
    expect((r.text.match(/<DirectoryEntry>/g) ?? []).length).toBeGreaterThanOrEqual(7);
  });
});

describe('Snom (defect 7)', () => {
  it('provisions the tbook through setting-files, never tbook_url', async () => {
    const l = (await lines('snom')).join('\n');
    expect(l).toMatch(/<setting-files><file url="https:\/\/dir\.example\/phonebook\/t\/[^"]+\/snom\.xml"\/><\/setting-files>/);
    expect(l).not.toContain('tbook_url');
  });

  it('serves the Remote XML Directory (tbook 2.0) to GET and POST', async () => {
    for (const r of [await get('/phonebook/acme/snom-remote.xml'), await request(srv.httpUrl).post('/phonebook/acme/snom-remote.xml').auth(...AUTH).type('form').send({ mac: '000413000000' })]) {
      expect(r.status).toBe(200);
      expect(r.text).toContain('<tbook e="2" version="2.0" complete="true">');
      expect(r.text).toMatch(/<contact [^>]*>\s*<first_name>Ana<\/first_name>\s*<last_name>Zapata<\/last_name>\s*<numbers>\s*<number no="\+14694292500" type="business" outgoing_id="0"\/>/);
    }
  });
});

describe('Snom, Polycom, Aastra, Gigaset (issue 21)', () => {
  it('Snom: the search screen puts the typed text into a <Url> naming the directory view, by InputToken', async () => {
    const input = await get('/phonebook/acme/snom.xml?view=search');
    expect(xmlProblem(input.text)).toBeNull();
    expect(input.text).toContain('<Url>https://dir.example/phonebook/acme/snom.xml?view=directory&amp;q=__X__</Url>');
    expect(input.text).toContain('<InputToken>__X__</InputToken>');
    expect(input.text).not.toMatch(/<URL>|QueryStringParam/);
    // what the phone then asks for: the typed text in place of the token, or the token itself when nothing was typed
    const hit = await get('/phonebook/acme/snom.xml?view=directory&q=nunez');
    expect(hit.text).toContain('<SnomIPPhoneDirectory>');
    expect(hit.text).toContain('<Name>Carla Nunez (business)</Name>');
    expect(hit.text).not.toContain('Zapata');
    const blank = await get('/phonebook/acme/snom.xml?view=directory&q=__X__');
    expect(blank.text).toContain('<Name>Bob Anders</Name>');
  });

  it('Snom: the provisioned tbook does not replace the whole phone book (no complete="true")', async () => {
    const r = await get('/phonebook/acme/snom.xml');
    expect(r.text).toMatch(/<tbook e="2">/);
    expect(r.text).not.toContain('complete=');
  });

  it('Polycom: the provisioning lines enable the Search soft key on the idle screen and name CONTACTS_DIRECTORY', async () => {
    const l = await lines('polycom');
    expect(l).toContain('softkey.1.enable="1"');
    expect(l).toContain('softkey.1.use.idle="1"');
    expect(l.find((x) => x.startsWith('CONTACTS_DIRECTORY='))).toMatch(/^CONTACTS_DIRECTORY="https:\/\/dir\.example\/phonebook\/t\/[^"]+\/polycom\/"$/);
  });

  it('Aastra: a search screen, and keys for the 6730i-6739i that have no directory script', async () => {
    const l = (await lines('aastra')).join('\n');
    expect(l).toMatch(/^prgkey7 type: xml$/m);
    expect(l).toMatch(/^softkey1 type: xml$/m);
    expect(l).toMatch(/^softkey1 value: https:\/\/dir\.example\/phonebook\/t\/\S+\/aastra\.xml\?view=search$/m);
    const input = await get('/phonebook/acme/aastra.xml?view=search');
    expect(xmlProblem(input.text)).toBeNull();
    expect(input.text).toContain('<AastraIPPhoneInputScreen type="string"');
    expect(input.text).toContain('<Parameter>q</Parameter>');
    expect(input.text).toContain('<URL>https://dir.example/phonebook/acme/aastra.xml</URL>');
  });

  it('Gigaset: the central phonebook holds at most 2,000 entries, and CentralBook.0.ServerURL is provisioned', async () => {
    await seedAccount(srv.ctx, { id: 'giga', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
      contacts: Array.from({ length: 2050 }, (_, i) => ({ lastName: `Member${String(i).padStart(4, '0')}`, workNumber: `+1 214 56${String(i).padStart(5, '0')}` })) });
    const r = await get('/phonebook/giga/gigaset.xml?view=central');
    expect(xmlProblem(r.text)).toBeNull();
    expect((r.text.match(/<entry /g) ?? []).length).toBe(2000);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(2 * 1024 * 1024);
    // the online directory (not the central file) still answers the phone's first/count window beyond 2,000
    const late = await get('/phonebook/giga/gigaset.xml?type=pb&first=2041&count=5');
    expect((late.text.match(/<entry /g) ?? []).length).toBe(5);
    const l = await lines('gigaset');
    expect(l.find((x) => x.includes('CentralBook.0.ServerURL'))).toMatch(/value="https:\/\/dir\.example\/phonebook\/t\/[^"]+\/gigaset\.xml\?view=central"/);
  });
});

describe('Htek, escaping, Aastra (defects 8 to 10)', () => {
  it('uses PhoneDirectory as the Htek root', async () => {
    const r = await get('/phonebook/acme/htek.xml');
    expect(r.text).toContain('<PhoneDirectory>');
    expect(r.text).not.toContain('HtekIPPhoneDirectory');
  });

  it('escapes exactly & < > (and " in attributes), never with numeric entities', async () => {
    await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set('Authorization', `Bearer ${acme.tokens.olivia}`)
      .send({ firstName: `Q'uote "Me"`, lastName: 'A&B <C> = D', workNumber: '2002' }).expect(201);
    const text = await get('/phonebook/acme/yealink.xml');
    expect(text.text).toContain(`<Name>Q'uote "Me" A&amp;B &lt;C&gt; = D</Name>`);
    const attr = await get('/phonebook/acme/yealink.xml?view=unit');
    expect(attr.text).toContain(`Name="Q'uote &quot;Me&quot; A&amp;B &lt;C&gt; = D"`);
    for (const r of [text, attr]) expect(r.text).not.toMatch(/&#/);
  });

  it('keeps Aastra names whole and tells one contact\'s lines apart', async () => {
    const r = await get('/phonebook/acme/aastra.xml?q=nunez');
    const prompts = [...r.text.matchAll(/<Prompt>([^<]*)<\/Prompt>/g)].map((m) => m[1]);
    expect(prompts).toEqual(['Carla Nunez (Work)', 'Carla Nunez (Mobile)', 'Carla Nunez (Home)', 'Carla Nunez (Fax)']);
  });
});

describe('Panasonic (issue 21: the XML developer\'s guide 5.2.8)', () => {
  beforeAll(async () => {
    await seedAccount(srv.ctx, { id: 'pana', phoneCredentials: { username: 'phones', password: 'phone-secret-1' }, contacts: [
      { firstName: `Nan "The Boss"`, lastName: "D'Arcy <Sales> & Co", workNumber: '+44 20 7946 0958', faxNumber: '972 555 0113' },
      ...Array.from({ length: 24 }, (_, i) => ({ lastName: `Person${String(i).padStart(2, '0')}`, workNumber: `+1 214 555 ${String(2000 + i)}` })),
    ] });
  });
  const personnel = (text: string) => [...text.matchAll(/<Personnel id="(\d+)">\s*<Name>([^<]*)<\/Name>([\s\S]*?)<\/Personnel>/g)]
    .map((m) => ({ id: Number(m[1]), name: m[2], nums: [...m[3].matchAll(/<PhoneNum type="([^"]*)">([^<]*)<\/PhoneNum>/g)].map((n) => [n[1], n[2]]) }));

  it('answers at most 20 entries numbered 1-20, whatever page is asked, and a search narrows them', async () => {
    for (const path of ['/phonebook/pana/panasonic.xml', '/phonebook/pana/panasonic.xml?page=2']) {
      const r = await get(path);
      expect(xmlProblem(r.text)).toBeNull();
      expect(personnel(r.text).map((p) => p.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
    const narrowed = personnel((await get('/phonebook/pana/panasonic.xml?name=person2')).text);
    expect(narrowed.map((p) => [p.id, p.name])).toEqual([[1, 'Person20'], [2, 'Person21'], [3, 'Person22'], [4, 'Person23']]);
  });

  it('writes types from ext/company/mobile/home/etc, numbers in 0-9 # * only, names of 24 characters without & \' < > "', async () => {
    const [nan] = personnel((await get('/phonebook/pana/panasonic.xml?name=nan')).text);
    expect(nan.name).toBe('Nan The Boss DArcy Sales');
    // the UK number from a US account: the international prefix 011, no +; the fax is "etc"
    expect(nan.nums).toEqual([['company', '011442079460958'], ['etc', '9725550113']]);
    for (const p of personnel((await get('/phonebook/huge/panasonic.xml')).text.concat((await get('/phonebook/acme/panasonic.xml')).text))) {
      expect(Array.from(p.name).length).toBeLessThanOrEqual(24);
      expect(p.name).not.toMatch(/[&'<>"]/);
      for (const [type, number] of p.nums) {
        expect(['ext', 'company', 'mobile', 'home', 'etc']).toContain(type);
        expect(number).toMatch(/^[0-9#*]{1,32}$/);
      }
    }
  });
});
