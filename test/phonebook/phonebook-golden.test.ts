// Golden files per vendor and view, rendered from the fixture accounts: plain, search by name,
// search by digits, reverse lookup hit and miss, a group, paging, and names with & < > " ',
// accents, non-Latin script and control characters (the fixture's contacts). Byte equality, and
// every file parses with a real XML parser (xmllint when installed), the same helper that must
// accept the real phone files in fixtures/phonebook/samples (copied from the reference, sources in
// the README there). UPDATE_GOLDEN=1 rewrites the files (then review the diff).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VendorRegistry } from '../../src/phonebook/vendor-registry.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { NASTY_CONTACTS, PHONE_PASSWORD, PHONE_USER } from './phonebook-fixture.ts';
import { xmlParser, xmlProblem } from './xml-check.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GOLDEN = join(ROOT, 'fixtures/phonebook');
const SAMPLES = join(GOLDEN, 'samples');
const registry = VendorRegistry.load(join(ROOT, 'directory-templates'));

/** A file name each vendor answers to (its first pattern, made concrete). */
const FILE: Record<string, string> = {
  polycom: 'polycom/0004f2000001-directory.xml', grandstream: 'grandstream/phonebook.xml',
};

interface Case { vendor: string; name: string; account: string; path: string }

function cases(): Case[] {
  const out: Case[] = [];
  for (const v of registry.vendors) {
    const d = v.descriptor;
    const file = FILE[d.vendor] ?? d.files[0].replace(/\\\./g, '.');
    const p = d.params;
    const q = (name: string | undefined, value: string) => (name ? `${name}=${encodeURIComponent(value)}` : `q=${encodeURIComponent(value)}`);
    const url = (...parts: string[]) => `${file}${parts.length ? '?' + parts.join('&') : ''}`;
    const gigaset = p.type.length > 0;
    const add = (name: string, account: string, path: string) => out.push({ vendor: d.vendor, name, account, path });
    add('plain', 'acme', url());
    add('search-name', 'acme', gigaset ? url('command=get_list', 'type=pb', 'ln=Ram*', 'fn=*', 'hm=*') : url(q(p.search[0], 'raman')));
    add('search-digits', 'acme', gigaset ? url('command=get_list', 'type=pb', 'fn=*', 'ln=*', 'hm=4694292500') : url(q(p.search[0], '4694292500')));
    add('reverse-hit', 'acme', gigaset ? url('command=get_list', 'type=pr', 'hm=%2B14694292500', 'reqsrc=auto') : url(q(p.number[0], '+1 469 429 2500')));
    add('reverse-miss', 'acme', gigaset ? url('command=get_list', 'type=pb', 'hm=0049301234567', 'reqsrc=auto') : url(q(p.number[0], '0049301234567')));
    add('group', 'acme', url(q(p.group[0], 'Suppliers')));
    add('paging', 'many', gigaset ? url('command=get_list', 'type=pb', 'first=21', 'count=20') : url(q(p.page[0] ?? 'page', '2')));
    for (const view of Object.keys(v.templates)) {
      if (view === 'default' || !p.view[0]) continue;
      add(`view-${view}`, 'acme', url(`${p.view[0]}=${view}`));
    }
  }
  return out;
}

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ publicUrl: 'http://phones.example' });
  await seedAccount(srv.ctx, {
    id: 'acme', name: 'Acme & Co', phoneCredentials: { username: PHONE_USER, password: PHONE_PASSWORD },
    users: [{ username: 'ann', name: 'Ann Lee', extension: '1001' }],
    contacts: NASTY_CONTACTS,
  });
  await seedAccount(srv.ctx, {
    id: 'many', name: 'Many', phoneCredentials: { username: PHONE_USER, password: PHONE_PASSWORD },
    contacts: Array.from({ length: 70 }, (_, i) => ({ lastName: `Filler${String(i + 1).padStart(2, '0')}`, workNumber: `+1 214 555 ${String(1000 + i)}` })),
  });
});
afterAll(async () => { await srv.close(); });

describe(`phonebook golden files (parsed with ${xmlParser()})`, () => {
  it.each(cases().map((c) => [`${c.vendor}/${c.name}`, c] as const))('%s', async (_label, c) => {
    const res = await request(srv.httpUrl).get(`/phonebook/${c.account}/${c.path}`).auth(PHONE_USER, PHONE_PASSWORD).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (b: Buffer) => chunks.push(b));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status, c.path).toBe(200);
    expect(res.headers['content-type']).toMatch(/xml|html/);
    const body = (res.body as Buffer).toString('utf8');
    expect(xmlProblem(body), c.path).toBeNull();
    expect(body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    // Only the five named entities' forms that XML needs; never Handlebars' HTML escapes.
    expect(body).not.toMatch(/&#x27;|&#x3D;|&#x60;|&#39;/);
    const dir = join(GOLDEN, c.vendor);
    const file = join(dir, `${c.name}.xml`);
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, body);
    }
    expect(body).toBe(readFileSync(file, 'utf8'));
  });
});

describe('the XML check itself', () => {
  it('accepts the real phone files in fixtures/phonebook/samples', () => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBe(5);
    for (const f of files) expect(xmlProblem(readFileSync(join(SAMPLES, f), 'utf8')), f).toBeNull();
  });

  it('rejects what a phone parser would reject', () => {
    expect(xmlProblem('<directory><item_list>```\n<item><ln>A & B</ln></item></item_list></directory>')).not.toBeNull();
    expect(xmlProblem('<a><b></a>')).not.toBeNull();
    expect(xmlProblem('<a x="1" x="2"/>')).not.toBeNull();
  });
});
