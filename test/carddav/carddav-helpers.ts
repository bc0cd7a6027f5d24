// CardDAV test helpers: a real server with one account of users and shared contacts, raw
// requests with Basic auth, and multistatus answers read into plain objects.
import request from 'supertest';
import { parseXml, REQUEST_LIMITS, type XmlElement } from '../../src/carddav/dav-xml.ts';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';
import type { DeepPartial } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/config-schema.ts';

export const PASSWORDS = { ann: 'ann-password-1', bob: 'bob-password-2', eve: 'eve-password-3' } as const;

export interface DavFixture {
  server: TestServer;
  acme: SeededAccount;
  other: SeededAccount;
}

export async function startDavFixture(overrides: DeepPartial<Config> = {}, contacts: object[] = DEFAULT_CONTACTS): Promise<DavFixture> {
  const server = await startTestServer(overrides);
  const acme = await seedAccount(server.ctx, {
    id: 'acme', region: 'US',
    users: [
      { username: 'ann', name: 'Ann Manager', scope: 'office_manager', extension: '201', password: PASSWORDS.ann, email: 'ann@acme.test' },
      { username: 'bob', name: 'Bob Basic', scope: 'basic', extension: '202', password: PASSWORDS.bob },
    ],
    contacts,
  });
  const other = await seedAccount(server.ctx, {
    id: 'globex', users: [{ username: 'eve', name: 'Eve Other', password: PASSWORDS.eve }],
    contacts: [{ firstName: 'Secret', lastName: 'Globex', workNumber: '+1 212 555 0000' }],
  });
  return { server, acme, other };
}

export const DEFAULT_CONTACTS = [
  { firstName: 'John', lastName: 'Doe', company: 'Doe & Sons', workNumber: '+1 415 555 0100', mobileNumber: '(415) 555-0101', email: 'john@doe.test', groups: ['Sales'] },
  { firstName: 'Zoë', lastName: 'Ångström', homeNumber: '415-555-0102', faxNumber: '415 555 0103' },
  { company: 'Acme Plumbing', workNumber: '415.555.0199', groups: ['Vendors', 'Sales'] },
];

export function basic(login: string, password: string): string {
  return 'Basic ' + Buffer.from(`${login}:${password}`).toString('base64');
}

export interface DavOptions {
  login?: string;
  password?: string;
  auth?: string | null;
  depth?: string;
  body?: string;
  headers?: Record<string, string>;
}

export async function dav(server: TestServer, method: string, path: string, o: DavOptions = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  const auth = o.auth === undefined ? basic(o.login ?? 'ann@acme', o.password ?? PASSWORDS.ann) : o.auth;
  if (auth) headers.authorization = auth;
  if (o.depth !== undefined) headers.depth = o.depth;
  if (o.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/xml; charset=utf-8';
  const r = await fetch(server.httpUrl + path, { method, headers, body: o.body, redirect: 'manual' });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

export interface DavResponse {
  href: string;
  status: string | null;
  /** Found properties by Clark name: their text, and their child element names. */
  props: Map<string, { text: string; children: string[]; el: XmlElement }>;
  missing: string[];
}

/** Our own answers are read without the request limits: a whole book is one multistatus. */
const ANSWER_LIMITS = { ...REQUEST_LIMITS, maxElements: 10_000_000, maxValueChars: 100_000_000 };

export function multistatus(xml: string): { responses: DavResponse[]; syncToken: string | null } {
  const root = parseXml(xml, ANSWER_LIMITS)!;
  if (root.ns !== 'DAV:' || root.name !== 'multistatus') throw new Error(`not a multistatus: ${xml.slice(0, 200)}`);
  const responses: DavResponse[] = [];
  let syncToken: string | null = null;
  for (const r of root.children) {
    if (r.name === 'sync-token') syncToken = r.text;
    if (r.name !== 'response') continue;
    const out: DavResponse = { href: '', status: null, props: new Map(), missing: [] };
    for (const c of r.children) {
      if (c.name === 'href') out.href = c.text;
      if (c.name === 'status') out.status = c.text;
      if (c.name === 'propstat') {
        const status = c.children.find((x) => x.name === 'status')!.text;
        const prop = c.children.find((x) => x.name === 'prop')!;
        for (const p of prop.children) {
          const key = `{${p.ns}}${p.name}`;
          if (status.includes(' 200 ')) out.props.set(key, { text: p.text, children: p.children.map((x) => `{${x.ns}}${x.name}`), el: p });
          else out.missing.push(key);
        }
      }
    }
    responses.push(out);
  }
  return { responses, syncToken };
}

export const PROP_ETAG_DATA = '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop></d:propfind>';

/** vCard property lines of a card, unfolded. */
export function cardLines(card: string): string[] {
  return card.replace(/\r?\n[ \t]/g, '').split(/\r?\n/).filter(Boolean);
}

/** An app password for one of the fixture's users, made the way a user makes one: signed in to the portal. */
export async function makeAppPassword(f: DavFixture, user: keyof typeof PASSWORDS, label: string): Promise<{ id: string; token: string }> {
  const portal = request.agent(f.server.httpUrl);
  const signin = await portal.post('/api/v1/session').send({ account: 'acme', login: user, password: PASSWORDS[user] });
  if (signin.status !== 201) throw new Error(`portal sign-in as ${user}: ${signin.status}`);
  const made = await portal.post(`/api/v1/accounts/acme/users/${f.acme.users[user].id}/app-passwords`).set('X-CSRF-Token', signin.body.csrf).send({ label });
  if (made.status !== 201) throw new Error(`app password for ${user}: ${made.status} ${made.text}`);
  return made.body;
}
