// Oversized and malformed bodies to the HTTP parsers other than CardDAV's (issue 23, section 4):
// express.json of the admin API and the sign-in route, express.urlencoded of the phonebooks, and
// body-parser's header checks. Each answers in the JSON error shape in under 4 KB, quoting at
// most a short part of what was sent. (CardDAV's XML: test/carddav/carddav-xml-limits.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, {
    id: 'acme',
    users: [{ username: 'olivia', scope: 'office_manager' }],
    phoneCredentials: { username: 'phones', password: 'phone-password-1' },
  });
});
afterAll(async () => { await srv.close(); });

const MAX_ERROR_BYTES = 4096;
const json = () => ({ 'content-type': 'application/json', authorization: `Bearer ${acme.tokens.olivia}` });

async function send(path: string, init: RequestInit): Promise<{ status: number; text: string; code: string }> {
  const r = await fetch(srv.httpUrl + path, { method: 'POST', ...init });
  const text = await r.text();
  return { status: r.status, text, code: (JSON.parse(text) as { error: { code: string } }).error.code };
}

function expectShort(res: { status: number; text: string; code: string }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.code).toBe(code);
  expect(Buffer.byteLength(res.text)).toBeLessThan(MAX_ERROR_BYTES);
  // No run of the input longer than the 200 characters error-handler.ts allows for a value.
  expect(res.text).not.toMatch(/x{201}/);
}

describe('admin API JSON bodies', () => {
  it('refuses a 2 MB body with a short 413', async () => {
    expectShort(await send('/api/v1/accounts/acme/contacts', { headers: json(), body: JSON.stringify({ firstName: 'x'.repeat(2_000_000) }) }), 413, 'payload_too_large');
  });

  it('answers 900 KB of malformed JSON with a short 400', async () => {
    expectShort(await send('/api/v1/accounts/acme/contacts', { headers: json(), body: `{"firstName":"${'x'.repeat(900_000)}` }), 400, 'invalid_json');
    expectShort(await send('/api/v1/accounts/acme/contacts', { headers: json(), body: `{"firstName":"${'x'.repeat(900_000)}",,}` }), 400, 'invalid_json');
  });

  it('answers a 900 KB field with a short 400 quoting 200 characters of it', async () => {
    const res = await send('/api/v1/accounts/acme/contacts', { headers: json(), body: JSON.stringify({ firstName: 'x'.repeat(900_000), workNumber: '1' }) });
    expectShort(res, 400, 'validation_failed');
    expect(res.text).toContain('x'.repeat(200));
  });

  it('answers many long invalid fields with at most 4 KB, saying how many more problems there were', async () => {
    const body: Record<string, unknown> = {};
    for (const f of ['firstName', 'lastName', 'company', 'title', 'email', 'workNumber', 'mobileNumber', 'homeNumber', 'faxNumber']) body[f] = 'é'.repeat(900);
    body.groups = Array.from({ length: 30 }, (_, i) => `${i}${'g'.repeat(300)}`);
    for (let i = 0; i < 20; i++) body[`unknown${i}${'k'.repeat(5000)}`] = 1;
    const res = await send('/api/v1/accounts/acme/contacts', { headers: json(), body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(MAX_ERROR_BYTES);
    const details = (JSON.parse(res.text) as { error: { details: { field?: string; reason: string }[] } }).error.details;
    expect(details.length).toBeGreaterThan(1); // the first problems are still named
    expect(details[details.length - 1].reason).toMatch(/^and \d+ more problems$/);
  });

  it('answers a long Content-Encoding or charset with a short 415', async () => {
    expectShort(await send('/api/v1/accounts/acme/contacts', { headers: { ...json(), 'content-encoding': 'x'.repeat(8000) }, body: '{}' }), 415, 'unsupported_media_type');
    expectShort(await send('/api/v1/accounts/acme/contacts', { headers: { ...json(), 'content-type': `application/json; charset=${'x'.repeat(8000)}` }, body: '{}' }), 415, 'unsupported_media_type');
  });

  it('refuses a 20 KB sign-in body with a short 413', async () => {
    expectShort(await send('/api/v1/session', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: 'x'.repeat(20_000) }) }), 413, 'payload_too_large');
  });
});

describe('phonebook form bodies', () => {
  it('refuses a 20 KB form body with a short 413', async () => {
    const res = await send('/phonebook/acme/yealink.xml', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from('phones:phone-password-1').toString('base64') },
      body: `q=${'x'.repeat(20_000)}`,
    });
    expectShort(res, 413, 'payload_too_large');
  });
});
