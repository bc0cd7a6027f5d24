// One golden file per vendor format, rendered from the fixture account: byte equality and
// well-formed XML. UPDATE_GOLDEN=1 rewrites the files (then review the diff).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { create } from 'xmlbuilder2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { NASTY_CONTACTS, PHONE_PASSWORD, PHONE_USER } from './phonebook-fixture.ts';

const GOLDEN = resolve(import.meta.dirname, '../../fixtures/phonebook');
const CASES: [string, string][] = [
  ['yealink.xml', 'yealink.xml'],
  ['yealink.xml?format=unit', 'yealink-unit.xml'],
  ['yealink.xml?view=groups', 'yealink-groups.xml'],
  ['polycom/0004f2000001-directory.xml', 'polycom.xml'],
  ['cisco.xml', 'cisco.xml'],
  ['cisco.xml?view=search', 'cisco-search.xml'],
  ['grandstream/phonebook.xml', 'grandstream.xml'],
  ['snom.xml', 'snom-tbook.xml'],
  ['snom.xml?view=directory&q=raman', 'snom-directory.xml'],
  ['fanvil.xml', 'fanvil.xml'],
  ['htek.xml', 'htek.xml'],
  ['gigaset.xml?command=get_list&type=pb&first=1&count=3', 'gigaset.xml'],
  ['aastra.xml', 'aastra.xml'],
];

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ publicUrl: 'http://phones.example' });
  await seedAccount(srv.ctx, {
    id: 'acme', name: 'Acme & Co', phoneCredentials: { username: PHONE_USER, password: PHONE_PASSWORD },
    users: [{ username: 'ann', name: 'Ann Lee', extension: '1001' }],
    contacts: NASTY_CONTACTS,
  });
});
afterAll(async () => { await srv.close(); });

describe('phonebook golden files', () => {
  it.each(CASES)('%s renders %s byte for byte, as well-formed XML', async (path, golden) => {
    const res = await request(srv.httpUrl).get(`/phonebook/acme/${path}`).auth(PHONE_USER, PHONE_PASSWORD).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/xml/);
    const body = (res.body as Buffer).toString('utf8');
    expect(() => create(body)).not.toThrow();
    expect(body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    const file = join(GOLDEN, golden);
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, body);
    expect(body).toBe(readFileSync(file, 'utf8'));
  });
});
