// What the client replays share: each app's requests read from fixtures/carddav/<client>/ (body
// in <name>.xml, headers in <name>.headers.json, cards in <name>.vcf), sent as that app signed in
// with an app password; a big deterministic photo; cards compared property by property; and the
// admin API a manager uses on the other side.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, expect } from 'vitest';
import { cardLines, dav, DEFAULT_CONTACTS, makeAppPassword, multistatus, startDavFixture, type DavFixture, type DavResponse } from '../carddav-helpers.ts';
import { parseXml, REQUEST_LIMITS } from '../../../src/carddav/dav-xml.ts';
import type { XmlElement } from '../../../src/carddav/xml-reader.ts';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/carddav');

export const D = (n: string) => `{DAV:}${n}`;
export const C = (n: string) => `{urn:ietf:params:xml:ns:carddav}${n}`;
export const CS = (n: string) => `{http://calendarserver.org/ns/}${n}`;
export const SHARED = '/carddav/acme/ann/shared/';

type Vars = Record<string, string>;
const fill = (text: string, vars: Vars) => text.replace(/\{\{(\w+)\}\}/g, (m, k: string) => (k in vars ? vars[k] : m));

/** A request the app sends: its body and headers as the fixture holds them. */
export function requestFixture(client: string, name: string, vars: Vars = {}): { body: string; headers: Record<string, string> } {
  const headersFile = join(FIXTURES, client, `${name}.headers.json`);
  return {
    body: fill(readFileSync(join(FIXTURES, client, `${name}.xml`), 'utf8'), vars),
    headers: existsSync(headersFile) ? JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string> : {},
  };
}

/** A card as the app writes it: LF in the file becomes CRLF; {{photo}} is a PHOTO value folded in place. */
export function cardFixture(client: string, name: string, vars: Vars = {}): string {
  const text = readFileSync(join(FIXTURES, client, `${name}.vcf`), 'utf8').replace(/\r?\n/g, '\r\n');
  const lines = fill(text, { photo: PHOTO, ...vars }).split('\r\n');
  return lines.map((l) => (l === '' ? l : fold(l))).join('\r\n');
}

/**
 * ~60 KB of base64 that starts like a JPEG: the size of a phone's contact photo, the biggest
 * thing an app puts in a card. Deterministic, so a failure shows the same bytes every run.
 */
export const PHOTO = (() => {
  const bytes = Buffer.alloc(45_000);
  bytes.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
  let x = 7;
  for (let i = 10; i < bytes.length - 2; i++) { x = (x * 1103515245 + 12345) & 0x7fffffff; bytes[i] = x >> 16; }
  bytes.set([0xff, 0xd9], bytes.length - 2);
  return bytes.toString('base64');
})();

/** RFC 6350 3.2 folding at 75 octets, as every one of these apps writes long lines. */
export function fold(line: string): string {
  if (Buffer.byteLength(line) <= 75) return line;
  const out: string[] = [];
  let cur = '';
  for (const ch of line) {
    const limit = out.length === 0 ? 75 : 74;
    if (Buffer.byteLength(cur + ch) > limit) { out.push(cur); cur = ''; }
    cur += ch;
  }
  out.push(cur);
  return out.join('\r\n ');
}

/**
 * A card's properties, unfolded, one string each, in order. Property names (with their group) are
 * case-insensitive (RFC 6350 3.3): a card dialbook rewrites has them upper-case ("ITEM1.X-ABLABEL",
 * as sabre/vobject writes them for Nextcloud and Baïkal), so they are compared upper-case.
 */
export const properties = (card: string): string[] => cardLines(card).map((l) => l.replace(/^[^;:]+/, (name) => name.toUpperCase()));

/** A property line short enough for a failure message (a photo is 60 KB). */
export const short = (line: string): string => (line.length > 100 ? `${line.slice(0, 80)}… (${line.length} chars)` : line);

/** Lines only one side has (a multiset difference both ways), shortened for messages. */
export function propertyDiff(before: string, after: string): { gone: string[]; added: string[] } {
  const minus = (a: string[], b: string[]) => { const rest = [...b]; return a.filter((x) => { const i = rest.indexOf(x); if (i < 0) return true; rest.splice(i, 1); return false; }); };
  const a = properties(before); const b = properties(after);
  return { gone: minus(a, b).map(short), added: minus(b, a).map(short) };
}

/** Two cards hold the same properties with the same values, in the same order (unfolded). */
export function expectSameProperties(got: string, sent: string): void {
  expect(propertyDiff(sent, got)).toEqual({ gone: [], added: [] });
  expect(properties(got)).toEqual(properties(sent));
}

/** One app on one device: its sign-in (an app password named after it) and the headers it always sends. */
export interface App {
  f: DavFixture;
  login: string;
  password: string;
  always: Record<string, string>;
}

export async function signInApp(f: DavFixture, label: string, always: Record<string, string>, login = 'ann@acme'): Promise<App> {
  const { token } = await makeAppPassword(f, 'ann', label);
  return { f, login, password: token, always };
}

/** The headers an app sends with every request, as its fixture folder records them (app.headers.json). */
export const appHeaders = (client: string): Record<string, string> => JSON.parse(readFileSync(join(FIXTURES, client, 'app.headers.json'), 'utf8')) as Record<string, string>;

/**
 * One app replayed against its own server, the default contacts plus `contacts` more: started
 * before the file's tests (the app signed in with its own app password), closed after them. The
 * objects returned are filled in when the tests start.
 */
export function replayApp(o: { name: string; contacts: number; always: Record<string, string> }): { app: App; mgr: Admin } {
  const out = { app: {} as App, mgr: {} as Admin };
  beforeAll(async () => {
    const f = await startDavFixture({}, [...DEFAULT_CONTACTS, ...manyContacts(o.contacts)]);
    Object.assign(out.app, await signInApp(f, o.name, o.always));
    Object.assign(out.mgr, admin(f));
  });
  afterAll(async () => { await out.app.f?.server.close(); });
  return out;
}

export interface Sent { status: number; headers: Headers; text: string }

/** A request as the app sends it: fixture body and headers, or a raw body and headers. */
export function send(app: App, method: string, path: string, o: { fixture?: [string, string, Vars?]; body?: string; headers?: Record<string, string>; auth?: null } = {}): Promise<Sent> {
  const fx = o.fixture ? requestFixture(o.fixture[0], o.fixture[1], o.fixture[2]) : undefined;
  const headers = { ...app.always, ...(fx?.headers ?? {}), ...(o.headers ?? {}) };
  // the dav() helper sets Depth from its own option; the fixtures carry it as a header
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return dav(app.f.server, method, path, { login: app.login, password: app.password, auth: o.auth, body: fx?.body ?? o.body, headers: lower });
}

export function ms(r: Sent): { responses: DavResponse[]; syncToken: string | null } {
  expect(r.status, r.text.slice(0, 500)).toBe(207);
  return multistatus(r.text);
}

export const hrefOf = (r: DavResponse, prop: string): string => r.props.get(prop)!.el.children.find((c) => c.name === 'href')!.text;

/** The cards of a multistatus that carry address-data, by href. */
export function cardsOf(r: Sent): Map<string, { etag: string; card: string }> {
  const out = new Map<string, { etag: string; card: string }>();
  for (const x of ms(r).responses) {
    const data = x.props.get(C('address-data'));
    if (data) out.set(x.href, { etag: x.props.get(D('getetag'))!.text, card: data.text });
  }
  return out;
}

/** The 400 DAV:valid-sync-token answer every app recovers from (docs/carddav.md "Sync tokens"). */
export function expectValidSyncTokenError(r: Sent): void {
  expect(r.status, r.text).toBe(400);
  const root = parseXml(r.text, { ...REQUEST_LIMITS, maxElements: 100 })!;
  expect(root.children.some((c) => c.ns === 'DAV:' && c.name === 'valid-sync-token')).toBe(true);
}

/** The manager's side: the admin API with Ann's API token. */
export type Admin = ReturnType<typeof admin>;

export function admin(f: DavFixture) {
  const auth = { Authorization: `Bearer ${f.acme.tokens.ann}` };
  const api = () => request(f.server.httpUrl);
  return {
    async find(lastName: string): Promise<Record<string, unknown> & { id: string }> {
      const r = await api().get('/api/v1/accounts/acme/contacts').query({ q: lastName, limit: 50 }).set(auth).expect(200);
      const found = r.body.items.filter((c: { lastName: string }) => c.lastName === lastName);
      expect(found, `contacts named ${lastName}`).toHaveLength(1);
      return found[0];
    },
    async patch(id: string, change: Record<string, unknown>) {
      return (await api().patch(`/api/v1/accounts/acme/contacts/${id}`).set(auth).send(change).expect(200)).body;
    },
    async create(contact: Record<string, unknown>) {
      return (await api().post('/api/v1/accounts/acme/contacts').set(auth).send(contact).expect(201)).body;
    },
    async remove(id: string) {
      await api().delete(`/api/v1/accounts/acme/contacts/${id}`).set(auth).expect(204);
    },
    async exists(id: string): Promise<boolean> {
      const r = await api().get(`/api/v1/accounts/acme/contacts/${id}`).set(auth);
      return r.status === 200;
    },
  };
}

/** Makes every token of the book handed out so far one the server can no longer answer. */
export async function expireTokens(f: DavFixture): Promise<void> {
  await admin(f).create({ firstName: 'Pruned', lastName: 'Away', workNumber: '+1 415 555 0190' });
  await f.server.ctx.db.pruneChangeLog(Math.floor(Date.now() / 1000) + 10);
}

/** Contacts enough for an app's multigets to come in several batches. */
export function manyContacts(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({ firstName: 'Batch', lastName: `Person ${String(i).padStart(3, '0')}`, workNumber: `+1 415 555 ${String(2000 + i)}` }));
}

/** The report names a DAV:supported-report-set lists. */
export function reportNames(el: XmlElement): string[] {
  const names: string[] = [];
  const walk = (e: XmlElement) => { if (e.name === 'report') names.push(...e.children.map((c) => c.name)); else e.children.forEach(walk); };
  walk(el);
  return names;
}
