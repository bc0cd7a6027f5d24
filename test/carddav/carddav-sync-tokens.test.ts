// Sync tokens per address book (issue 20): a change to one book moves neither the token nor the
// ctag of another; an import into Shared or a settings change keeps every token valid (the book's
// cards are reported instead of 403); tokens survive a restart on the same SQLite file; and a
// token the server can no longer answer gets the one answer each app recovers from, replayed with
// each app's own requests (fixtures/carddav/<client>/, sources in fixtures/carddav/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/test-server.ts';
import { dav, multistatus, PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';
import { parseXml, REQUEST_LIMITS } from '../../src/carddav/dav-xml.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/carddav');
const fixture = (client: string, name: string, token = '') => ({
  body: readFileSync(join(FIXTURES, client, `${name}.xml`), 'utf8').replace('{{token}}', token),
  headers: JSON.parse(readFileSync(join(FIXTURES, client, `${name}.headers.json`), 'utf8')) as Record<string, string>,
});

const D = (n: string) => `{DAV:}${n}`;
const CTAG = '{http://calendarserver.org/ns/}getctag';
const BOOKS = ['shared', 'personal', 'colleagues'] as const;
const bookUrl = (book: string) => `/carddav/acme/ann/${book}/`;
const SYNC = (token: string) => `<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;
const TOKEN_PROPS = '<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:sync-token/><cs:getctag/></d:prop></d:propfind>';

let f: DavFixture;
beforeAll(async () => { f = await startDavFixture(); });
afterAll(async () => { await f.server.close(); });

const api = () => request(f.server.httpUrl);
const bearer = () => ({ Authorization: `Bearer ${f.acme.tokens.ann}` });

/** Each book's sync token and ctag, as a PROPFIND Depth 0 reads them. */
async function marks(): Promise<Record<string, { token: string; ctag: string }>> {
  const out: Record<string, { token: string; ctag: string }> = {};
  for (const book of BOOKS) {
    const r = await dav(f.server, 'PROPFIND', bookUrl(book), { depth: '0', body: TOKEN_PROPS });
    expect(r.status).toBe(207);
    const self = multistatus(r.text).responses[0];
    out[book] = { token: self.props.get(D('sync-token'))!.text, ctag: self.props.get(CTAG)!.text };
  }
  return out;
}

const sync = (book: string, token: string) => dav(f.server, 'REPORT', bookUrl(book), { body: SYNC(token) });
async function syncOk(book: string, token: string) {
  const r = await sync(book, token);
  expect(r.status, r.text).toBe(207);
  return multistatus(r.text);
}
const importCsv = (mode: string, rows: string[]) => api().post(`/api/v1/accounts/acme/contacts/import?mode=${mode}`).set(bearer()).set('Content-Type', 'text/csv')
  .send(['First Name,Last Name,Work Number', ...rows].join('\r\n') + '\r\n');

describe('tokens per book', () => {
  it('moves only the token and ctag of the book that changed, and syncs only its changes', async () => {
    const before = await marks();
    const created = await api().post('/api/v1/accounts/acme/contacts').set(bearer()).send({ firstName: 'Only', lastName: 'Shared', workNumber: '+1 415 555 0141' }).expect(201);
    const after = await marks();
    expect(after.shared.token).not.toBe(before.shared.token);
    expect(after.shared.ctag).not.toBe(before.shared.ctag);
    expect(after.personal).toEqual(before.personal);
    expect(after.colleagues).toEqual(before.colleagues);
    // Personal from its token: nothing, and the same token back
    const personal = await syncOk('personal', before.personal.token);
    expect(personal.responses).toEqual([]);
    expect(personal.syncToken).toBe(before.personal.token);
    const shared = await syncOk('shared', before.shared.token);
    expect(shared.responses.map((r) => r.href)).toEqual([`${bookUrl('shared')}${created.body.id}.vcf`]);
    expect(shared.syncToken).toBe(after.shared.token);

    // a card Ann makes in Personal from her phone moves Personal only
    const put = await dav(f.server, 'PUT', `${bookUrl('personal')}mine.vcf`, {
      headers: { 'content-type': 'text/vcard', 'if-none-match': '*' },
      body: 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:mine-1\r\nFN:Mine Only\r\nN:Only;Mine;;;\r\nTEL;TYPE=CELL:+1 415 555 0142\r\nEND:VCARD\r\n',
    });
    expect(put.status).toBe(201);
    const third = await marks();
    expect(third.shared).toEqual(after.shared);
    expect(third.colleagues).toEqual(after.colleagues);
    expect(third.personal.token).not.toBe(after.personal.token);
    expect((await syncOk('personal', after.personal.token)).responses.map((r) => r.href)).toEqual([`${bookUrl('personal')}mine.vcf`]);
  });

  it('an import of 1,500 rows into Shared leaves Personal\'s and Colleagues\' tokens valid and unchanged', async () => {
    const before = await marks();
    const first = await syncOk('shared', before.shared.token);
    expect(first.responses).toEqual([]);
    const big = await importCsv('add', Array.from({ length: 1500 }, (_, i) => `Bulk,Person ${i},+1 415 556 ${String(1000 + i)}`)).expect(200);
    expect(big.body.counts.created).toBe(1500);
    const after = await marks();
    expect(after.personal).toEqual(before.personal);
    expect(after.colleagues).toEqual(before.colleagues);
    for (const book of ['personal', 'colleagues']) expect((await syncOk(book, before[book].token)).responses, book).toEqual([]);
    // Shared: 207 with every card of the book (more than changed, as RFC 6578 allows), not 403
    const shared = await syncOk('shared', before.shared.token);
    const listing = multistatus((await dav(f.server, 'PROPFIND', bookUrl('shared'), { depth: '1', body: TOKEN_PROPS })).text).responses.length - 1;
    expect(shared.responses.length).toBe(listing);
    expect(shared.responses.every((r) => r.status === null)).toBe(true);
    expect(shared.syncToken).toBe(after.shared.token);
  });

  it('reports the deletions of an import that replaces the book, with the rest of the book', async () => {
    const { token } = (await marks()).shared;
    const kept = Array.from({ length: 1200 }, (_, i) => `Kept,Person ${i},+1 415 557 ${String(1000 + i)}`);
    const res = await importCsv('replace', kept).expect(200);
    expect(res.body.counts.deleted).toBeGreaterThan(1000);
    const out = await syncOk('shared', token);
    const gone = out.responses.filter((r) => r.status === 'HTTP/1.1 404 Not Found');
    expect(gone.length).toBe(res.body.counts.deleted);
    expect(out.responses.filter((r) => r.status === null).length).toBe(1200);
  });

  it('keeps every token valid across a settings change: 207 with the cards, which now read differently', async () => {
    const before = await marks();
    await api().patch('/api/v1/accounts/acme').set({ Authorization: `Bearer ${f.server.adminToken}` }).send({ settings: { nameFormat: 'last_first' } }).expect(200);
    const after = await marks();
    for (const book of BOOKS) {
      expect(after[book].token, book).not.toBe(before[book].token);
      const r = await syncOk(book, before[book].token);
      expect(r.syncToken, book).toBe(after[book].token);
    }
    // Colleagues lists Ann and Bob: both reported again
    expect((await syncOk('colleagues', before.colleagues.token)).responses.length).toBe(2);
  });
});

describe('expired tokens: each app starts over', () => {
  /** A token of the Shared book from before a change that pruning then forgot. */
  async function expiredToken(): Promise<string> {
    const { token } = (await marks()).shared;
    await api().post('/api/v1/accounts/acme/contacts').set(bearer()).send({ firstName: 'Late', workNumber: '+1 415 555 0177' }).expect(201);
    await f.server.ctx.db.pruneChangeLog(Math.floor(Date.now() / 1000) + 10);
    return token;
  }
  const replay = (client: string, name: string, method: string, token?: string, book = 'shared') => {
    const { body, headers } = fixture(client, name, token);
    return dav(f.server, method, bookUrl(book), { body, headers });
  };
  /** The answer to an expired token: 400, an XML DAV:error whose child is DAV:valid-sync-token. */
  function expectValidSyncTokenError(r: { status: number; headers: Headers; text: string }) {
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/xml/);
    const root = parseXml(r.text, { ...REQUEST_LIMITS, maxElements: 100 })!;
    expect([root.ns, root.name]).toEqual(['DAV:', 'error']);
    expect(root.children.some((c) => c.ns === 'DAV:' && c.name === 'valid-sync-token')).toBe(true);
  }
  const cardCount = async () => multistatus((await dav(f.server, 'PROPFIND', bookUrl('shared'), { depth: '1', body: TOKEN_PROPS })).text).responses.length - 1;

  it('Thunderbird: 400 (it accepts only 207 or 400), then its full fetch, then sync again', async () => {
    const stale = await replay('thunderbird', 'sync-collection', 'REPORT', await expiredToken());
    expectValidSyncTokenError(stale);
    // on 400, fetchAllFromServer: PROPFIND Depth 1, then _getSyncToken
    const all = await replay('thunderbird', 'fetch-all', 'PROPFIND');
    expect(all.status).toBe(207);
    expect(multistatus(all.text).responses.length - 1).toBe(await cardCount());
    const tokenAnswer = await replay('thunderbird', 'sync-token', 'PROPFIND');
    const fresh = multistatus(tokenAnswer.text).responses[0].props.get(D('sync-token'))!.text;
    const next = await replay('thunderbird', 'sync-collection', 'REPORT', fresh);
    expect(next.status).toBe(207);
    expect(multistatus(next.text).responses).toEqual([]);
  });

  it('DAVx5: the DAV:valid-sync-token element in an XML error body, then its initial sync (empty token)', async () => {
    expectValidSyncTokenError(await replay('davx5', 'sync-collection', 'REPORT', await expiredToken()));
    const initial = await replay('davx5', 'sync-collection', 'REPORT', '');
    expect(initial.status).toBe(207);
    const out = multistatus(initial.text);
    expect(out.responses.length).toBe(await cardCount());
    expect(out.syncToken).toMatch(/^http:\/\/dialbook\.org\/ns\/sync\//);
  });

  it('Evolution: a failed sync-collection falls back to getctag and an ETag listing, then syncs from scratch', async () => {
    expectValidSyncTokenError(await replay('evolution', 'sync-collection', 'REPORT', await expiredToken()));
    const ctag = multistatus((await replay('evolution', 'getctag', 'PROPFIND')).text).responses[0].props.get(CTAG)!.text;
    // stored as its next "sync tag": without ':' or '/' EDS sends its next sync-collection without a token
    expect(ctag).not.toMatch(/[:/]/);
    const list = await replay('evolution', 'list-etags', 'PROPFIND');
    expect(list.status).toBe(207);
    expect(multistatus(list.text).responses.length - 1).toBe(await cardCount());
    const next = await replay('evolution', 'sync-collection', 'REPORT', '');
    expect(next.status).toBe(207);
    expect(multistatus(next.text).responses.length).toBe(await cardCount());
  });

  it('iOS/macOS: the same 400 for an expired token or a token of its own making; its Depth 1 poll lists the book', async () => {
    expectValidSyncTokenError(await replay('ios', 'sync-collection', 'REPORT', await expiredToken()));
    // rdar 46163430: macOS Contacts sent a UUID as the token
    expectValidSyncTokenError(await replay('ios', 'sync-collection', 'REPORT', 'b905a5fd-ce23-4190-9be3-236969d071a8'));
    const poll = await replay('ios', 'list-etags', 'PROPFIND');
    expect(poll.status).toBe(207);
    expect(multistatus(poll.text).responses.length - 1).toBe(await cardCount());
    expect((await replay('ios', 'sync-collection', 'REPORT', '')).status).toBe(207);
  });
});

describe('restart', () => {
  it('answers tokens handed out before a restart on the same SQLite file', async () => {
    const own = await startDavFixture();
    let server = own.server;
    try {
      const before = multistatus((await dav(server, 'REPORT', bookUrl('shared'), { body: SYNC('') })).text).syncToken!;
      const personal = multistatus((await dav(server, 'REPORT', bookUrl('personal'), { body: SYNC('') })).text).syncToken!;
      const c = await request(server.httpUrl).post('/api/v1/accounts/acme/contacts').set({ Authorization: `Bearer ${own.acme.tokens.ann}` })
        .send({ firstName: 'Before', lastName: 'Restart', workNumber: '+1 415 555 0188' }).expect(201);
      await server.stop();
      server = await startTestServer({ dataDir: own.server.dataDir });
      const shared = await dav(server, 'REPORT', bookUrl('shared'), { body: SYNC(before), password: PASSWORDS.ann });
      expect(shared.status).toBe(207);
      expect(multistatus(shared.text).responses.map((r) => r.href)).toEqual([`${bookUrl('shared')}${c.body.id}.vcf`]);
      const mine = await dav(server, 'REPORT', bookUrl('personal'), { body: SYNC(personal) });
      expect(mine.status).toBe(207);
      expect(multistatus(mine.text)).toEqual({ responses: [], syncToken: personal });
    } finally {
      await server.close();
    }
  });
});
