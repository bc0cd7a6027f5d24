// Exports are made in the export worker thread from a read-only connection: phones and the API
// are answered while a large account is exported, the file is the one the store holds, and
// exports waiting beyond a bound are refused with 503 and Retry-After instead of queueing
// without end.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { buildExport } from '../../src/spreadsheet/export-service.ts';
import { exportRunning, MAX_WAITING_EXPORTS, runExportThread } from '../../src/spreadsheet/export-thread.ts';
import { JOB_THREAD_NICE } from '../../src/jobs/job-worker.ts';
import { hasLdapUtils, ldapsearch } from '../ldap/ldap-helpers.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { download } from './helpers.ts';

let srv: TestServer;
const BIG = 30_000;

beforeAll(async () => {
  srv = await startTestServer();
  await seedAccount(srv.ctx, {
    id: 'small', phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: [{ firstName: 'Always', lastName: 'Answered', workNumber: '214-555-0000' }],
  });
  await seedAccount(srv.ctx, { id: 'big' });
  await srv.ctx.db.applyBatch('big', { source: 'shared' }, Array.from({ length: BIG }, (_, i) => ({
    op: 'create' as const,
    contact: prepareContact({ firstName: `First${i}`, lastName: `Last${i}`, company: `Company ${i % 300}`, workNumber: `+1 469 555 ${String(i % 10_000).padStart(4, '0')}`, groups: i % 7 ? [] : ['Seventh'] }, 'US'),
  })), { id: 'test' });
}, 120_000);
afterAll(async () => { await srv.close(); });

describe('export worker thread', () => {
  it.skipIf(!hasLdapUtils)('answers /healthz, a phonebook and an LDAP search while a large export is made', async () => {
    const exporting = download(srv.httpUrl, '/api/v1/accounts/big/contacts/export?format=vcf', srv.adminToken);
    await expect.poll(() => exportRunning(), { timeout: 30_000, interval: 2 }).toBe(true);
    // rounds of what phones ask, each counted when the export was still being made after it
    const during: string[] = [];
    while (exportRunning()) {
      const [health, book, ldap] = await Promise.all([
        request(srv.httpUrl).get('/healthz'),
        request(srv.httpUrl).get('/phonebook/small/yealink.xml').auth('phones', 'phone-secret-1'),
        ldapsearch(srv.ldapPort!, ['-D', 'cn=phones,o=small,dc=dialbook', '-w', 'phone-secret-1', '-b', 'o=small,dc=dialbook', '(telephoneNumber=2145550000)', 'cn']),
      ]);
      if (exportRunning()) during.push(`${health.status}/${book.status}/${ldap.code}:${ldap.entries[0]?.attrs.cn?.[0]}`);
    }
    const res = await exporting;
    expect(res.status).toBe(200);
    expect(res.headers['x-contact-count']).toBe(String(BIG));
    expect(res.body.toString('utf8').match(/^BEGIN:VCARD\r$/gm)).toHaveLength(BIG);
    // Made on the event loop, no request would be answered while the file is being made.
    expect(during.length).toBeGreaterThan(0);
    expect(new Set(during)).toEqual(new Set(['200/200/0:Always Answered']));
  }, 120_000);

  it('sends exactly the file made from the store, in every format', async () => {
    const account = (await srv.ctx.db.getAccount('big'))!;
    for (const format of ['csv', 'vcf'] as const) {
      const res = await download(srv.httpUrl, `/api/v1/accounts/big/contacts/export?format=${format}&group=seventh`, srv.adminToken);
      expect(res.status).toBe(200);
      const here = await buildExport(srv.ctx.db, account, { format, group: 'seventh' });
      expect(res.headers['x-contact-count']).toBe(String(Math.ceil(BIG / 7)));
      expect(res.body.equals(here.body)).toBe(true);
    }
    const xlsx = await download(srv.httpUrl, '/api/v1/accounts/big/contacts/export?format=xlsx&group=Seventh', srv.adminToken);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers['content-disposition']).toMatch(/filename="big-contacts-Seventh\.xlsx"/);
    expect(xlsx.body.subarray(0, 2).toString('latin1')).toBe('PK');
    // errors found in the thread are the API's errors
    const missing = await download(srv.httpUrl, '/api/v1/accounts/big/contacts/export?group=Nope', srv.adminToken);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString('utf8')).error.message).toMatch(/Group "Nope"/);
  }, 120_000);

  it(`refuses exports beyond ${MAX_WAITING_EXPORTS} waiting with 503 and Retry-After, and makes the others whole`, async () => {
    // No timing: asked in one synchronous run, none of the worker's answers can come in between,
    // so exactly the bound is taken and the rest refused, however loaded the machine is.
    const locator = srv.ctx.db.locator;
    expect(exportRunning()).toBe(false);
    // The queue is then held full: a job that ends is replaced in the same turn of the event loop
    // as its answer (promise callbacks run before any request is read), so every export asked
    // over HTTP meanwhile finds the bound reached.
    let holding = true;
    const refills: Promise<unknown>[] = [];
    const refill = (): void => { if (holding) refills.push(runExportThread(locator, 'small', { format: 'csv' }).then(refill)); };
    const asked = Array.from({ length: 2 * MAX_WAITING_EXPORTS }, () => runExportThread(locator, 'small', { format: 'csv' }).then(
      (file) => { refill(); return { file }; },
      (error: unknown) => ({ error })));
    const answers: { status: number; headers: Record<string, string>; body: Buffer }[] = [];
    for (let i = 0; i < 3; i++) answers.push(await download(srv.httpUrl, '/api/v1/accounts/big/contacts/export?format=csv', srv.adminToken));
    holding = false;
    const results = await Promise.all(asked);
    for (let i = 0; i < refills.length; i++) await refills[i]; // none refused either

    const made = results.filter((r): r is { file: Awaited<ReturnType<typeof runExportThread>> } => 'file' in r);
    const refused = results.filter((r): r is { error: unknown } => 'error' in r);
    expect(made).toHaveLength(MAX_WAITING_EXPORTS);
    expect(refused).toHaveLength(MAX_WAITING_EXPORTS);
    for (const r of refused) expect(r.error).toMatchObject({ status: 503, code: 'busy', retryAfterSeconds: 10 });
    for (const r of answers) {
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('10');
      expect(JSON.parse(r.body.toString('utf8')).error).toMatchObject({ code: 'busy', message: expect.stringMatching(/export jobs are already waiting/) });
    }
    const here = await buildExport(srv.ctx.db, (await srv.ctx.db.getAccount('small'))!, { format: 'csv' });
    for (const r of made) expect(r.file.body.equals(here.body)).toBe(true);
    // the refused ones left nothing behind: the next export is made
    expect((await download(srv.httpUrl, '/api/v1/accounts/small/contacts/export', srv.adminToken)).status).toBe(200);
  }, 120_000);

  // Phones before exports, as before imports (Linux keeps a nice value per thread).
  it.skipIf(process.platform !== 'linux')('makes the file in a thread behind the main thread (nice 10)', () => {
    const niceOf = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
    };
    // no import ran in this file: the export thread is the one behind
    const behind = readdirSync('/proc/self/task').filter((t) => niceOf(t) === JOB_THREAD_NICE);
    expect(behind.length).toBe(1);
    expect(behind).not.toContain(readlinkSync('/proc/thread-self').split('/').pop());
  });
});
