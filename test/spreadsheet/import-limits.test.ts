// Import limits from config: import.maxUploadBytes and import.maxRows both answer 413.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { bearer, upload } from './helpers.ts';

let srv: TestServer;
let token: string;

beforeAll(async () => {
  srv = await startTestServer({ import: { maxUploadBytes: 2048, maxRows: 3 } });
  token = (await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }] })).tokens.olivia;
});
afterAll(async () => { await srv.close(); });

const rows = (n: number) => 'First Name,Work Number\n' + Array.from({ length: n }, (_, i) => `P${i},${1000 + i}`).join('\n') + '\n';

describe('limits', () => {
  it('accepts a file at the row limit and refuses one row more with 413', async () => {
    expect((await upload(srv.httpUrl, 'acme', token, Buffer.from(rows(3)), 'ok.csv', { dryRun: 'true' })).status).toBe(200);
    const res = await upload(srv.httpUrl, 'acme', token, Buffer.from(rows(4)), 'big.csv');
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/more than 3 rows; the limit is 3/);
  });

  it('refuses a file over maxUploadBytes with 413, as multipart and as a raw body', async () => {
    const big = Buffer.from(rows(1) + 'x'.repeat(3000));
    const multipart = await upload(srv.httpUrl, 'acme', token, big, 'big.csv');
    expect(multipart.status).toBe(413);
    expect(multipart.body.error.code).toBe('payload_too_large');
    const raw = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts/import').set(bearer(token)).set('Content-Type', 'text/csv').send(big.toString());
    expect(raw.status).toBe(413);
    expect(await srv.ctx.db.allContacts('acme', { source: 'shared' })).toHaveLength(0);
  });
});
