// A large import runs in the import worker thread: while it reads, validates and writes, the
// event loop keeps answering /healthz, phonebook and LDAP requests; the result is one atomic
// batch written through the worker's own connection and visible to the main thread at once.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasLdapUtils, ldapsearch } from '../ldap/ldap-helpers.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { upload } from './helpers.ts';
import { JOB_THREAD_NICE } from '../../src/jobs/job-worker.ts';
import { contactFields } from '../../src/domain/contact-schemas.ts';
import { LARGE_WAL_BYTES } from '../../src/store/sqlite/sqlite-async-store.ts';
import { databaseFile } from '../../src/store/sqlite/sqlite-store.ts';

let srv: TestServer;
let token: string;
const ROWS = 5_000;

beforeAll(async () => {
  srv = await startTestServer({ import: { threadMinBytes: 1024 } });
  token = (await seedAccount(srv.ctx, {
    id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }],
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: [{ firstName: 'Already', lastName: 'There', workNumber: '214-555-0000' }],
  })).tokens.olivia;
});
afterAll(async () => { await srv.close(); });

function bigCsv(): Buffer {
  const lines = ['First Name,Last Name,Company,Work Number,Mobile Number,Groups'];
  for (let i = 1; i <= ROWS; i++) {
    lines.push(`First${i},Last${i},Company ${i % 500},+1 469 ${String(200 + (i % 700)).padStart(3, '0')} ${String(i % 10_000).padStart(4, '0')},${i % 3 ? '' : `972-555-${String(i % 10_000).padStart(4, '0')}`},${i % 10 ? '' : 'Big'}`);
  }
  return Buffer.from(lines.join('\n'));
}

describe('import worker thread', () => {
  it.skipIf(!hasLdapUtils)('answers /healthz, a phonebook and an LDAP search while a large import runs', async () => {
    let finished = false;
    const importing = upload(srv.httpUrl, 'acme', token, bigCsv(), 'big.csv', { onError: 'skip' }).then((r) => { finished = true; return r; });
    const during: string[] = [];
    while (!finished) {
      const [health, book, ldap] = await Promise.all([
        request(srv.httpUrl).get('/healthz'),
        request(srv.httpUrl).get('/phonebook/acme/yealink.xml').auth('phones', 'phone-secret-1'),
        ldapsearch(srv.ldapPort!, ['-D', 'cn=phones,o=acme,dc=dialbook', '-w', 'phone-secret-1', '-b', 'o=acme,dc=dialbook', '(telephoneNumber=2145550000)', 'cn']),
      ]);
      if (!finished) during.push(`${health.status}/${book.status}/${ldap.code}:${ldap.entries[0]?.attrs.cn?.[0]}`);
      await new Promise((r) => setTimeout(r, 50)); // leave the CPU to the import
    }
    const res = await importing;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ written: true, rows: ROWS, counts: { created: ROWS }, errorCount: 0 });
    // at least one round of requests was answered while the import was still running
    expect(during.length).toBeGreaterThan(0);
    expect(new Set(during)).toEqual(new Set(['200/200/0:Already There']));
    // written through the worker's connection, read here
    expect(await srv.ctx.db.allContacts('acme', { source: 'shared' })).toHaveLength(ROWS + 1);
    expect((await srv.ctx.db.listGroups('acme')).find((g) => g.name === 'Big')?.contactCount).toBe(ROWS / 10);
  }, 120_000);

  // The import thread writes the first slices while the check thread checks the next ones; a
  // bad row found late must still mean nothing at all was written (one transaction).
  it('writes nothing when a bad row comes after slices already written (onError=abort), and reports it', async () => {
    await seedAccount(srv.ctx, { id: 'late', contacts: [{ lastName: 'Kept', workNumber: '214-555-0101' }] });
    const lines = ['First Name,Last Name,Work Number'];
    for (let i = 1; i <= ROWS; i++) lines.push(`F${i},L${i},+1 469 555 ${String(i).padStart(4, '0')}`);
    lines.push('Bad,Row,call me maybe');
    const file = Buffer.from(lines.join('\n'));
    const revision = (await srv.ctx.db.getAccountVersion('late'))?.revision;
    const res = await upload(srv.httpUrl, 'late', srv.adminToken, file, 'late.csv');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Nothing was imported: 1 of 5001 rows are invalid/);
    expect(res.body.error.details).toEqual([expect.objectContaining({ row: ROWS + 2, field: 'Work Number' })]);
    expect((await srv.ctx.db.allContacts('late', { source: 'shared' })).map((c) => c.lastName)).toEqual(['Kept']);
    expect((await srv.ctx.db.getAccountVersion('late'))?.revision).toBe(revision);
    // the same file, dry run and skip: the plan, nothing written
    const dry = await upload(srv.httpUrl, 'late', srv.adminToken, file, 'late.csv', { dryRun: 'true', onError: 'skip' });
    expect(dry.body).toMatchObject({ written: false, counts: { created: ROWS, skipped: 1 }, errorCount: 1 });
    expect(await srv.ctx.db.allContacts('late', { source: 'shared' })).toHaveLength(1);
    // and for real with skip: every good row, in one batch
    const ok = await upload(srv.httpUrl, 'late', srv.adminToken, file, 'late.csv', { onError: 'skip' });
    expect(ok.body).toMatchObject({ written: true, counts: { created: ROWS, skipped: 1 } });
    expect(await srv.ctx.db.allContacts('late', { source: 'shared' })).toHaveLength(ROWS + 1);
    expect((await srv.ctx.db.listAudit('late', { limit: 5 })).every((e) => e.batchId === ok.body.batchId)).toBe(true);
    // each new contact's audit entry records its fields as stored (the JSON is made in the check thread)
    const stored = new Map((await srv.ctx.db.allContacts('late', { source: 'shared' })).map((c) => [c.id, contactFields(c)]));
    const created = (await srv.ctx.db.listAudit('late', { limit: 300 })).filter((e) => e.action === 'contact.create');
    expect(created).toHaveLength(300);
    for (const e of created) expect(e.after).toEqual(stored.get(e.targetId!));
    // on disk, without the empty fields (issue 24: bytes per contact); the reads above fill them in
    const raw = new Database(databaseFile(srv.ctx.config), { readonly: true });
    try {
      const { after } = raw.prepare("SELECT after FROM audit_log WHERE batch_id = ? AND action = 'contact.create' LIMIT 1").get(ok.body.batchId) as { after: string };
      expect(Object.keys(JSON.parse(after))).toEqual(['firstName', 'lastName', 'workNumber']);
    } finally {
      raw.close();
    }
  }, 120_000);

  // Issue 24: a large import's pages are all in the write-ahead log when it commits (1.2 GB for
  // 1,000,000 rows); the import thread copies them into the database file and empties the log
  // right after answering (the answer does not wait for the copy), before it takes another job.
  it('checkpoints a large import into the database file and empties the WAL right after answering', async () => {
    const rows = 16_000; // a WAL of about 20 MB, past LARGE_WAL_BYTES
    const lines = ['First Name,Last Name,Company,Work Number'];
    for (let i = 1; i <= rows; i++) lines.push(`Wal${i},Checkpoint${i % 977},Log ${i % 50},+1 469 ${String(200 + (i % 700)).padStart(3, '0')} ${String(i % 10_000).padStart(4, '0')}`);
    await seedAccount(srv.ctx, { id: 'wal' });
    const file = databaseFile(srv.ctx.config);
    const sizeOf = (f: string) => { try { return statSync(f).size; } catch { return 0; } };
    const before = sizeOf(file);
    const res = await upload(srv.httpUrl, 'wal', srv.adminToken, Buffer.from(lines.join('\n')), 'wal.csv');
    expect(res.status).toBe(200);
    expect(res.body.counts.created).toBe(rows);
    expect(await srv.ctx.db.countAccountContacts('wal')).toBe(rows);
    // soon after: the rows are in the database file, and the log holds at most what the server's
    // own connection wrote since (a token's last use), not the import. A PASSIVE checkpoint
    // would copy the pages but leave the 20 MB file, so this fails without the TRUNCATE.
    const deadline = Date.now() + 30_000;
    while (sizeOf(`${file}-wal`) >= 1 << 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sizeOf(`${file}-wal`)).toBeLessThan(1 << 20);
    expect(sizeOf(file) - before).toBeGreaterThan(LARGE_WAL_BYTES);
  }, 120_000);

  it('re-imports its own export through the threads as all unchanged (upsert), and loses no API write made meanwhile', async () => {
    const exported = await request(srv.httpUrl).get('/api/v1/accounts/late/contacts/export?format=csv').set('Authorization', `Bearer ${srv.adminToken}`)
      .buffer(true).parse((r, cb) => { const parts: Buffer[] = []; r.on('data', (c: Buffer) => parts.push(c)); r.on('end', () => cb(null, Buffer.concat(parts))); });
    expect(exported.status).toBe(200);
    const importing = upload(srv.httpUrl, 'late', srv.adminToken, exported.body as Buffer, 'export.csv', { mode: 'upsert' });
    // a write from the API while the import holds the write lock waits for it, then lands
    const added = await request(srv.httpUrl).post('/api/v1/accounts/late/contacts').set('Authorization', `Bearer ${srv.adminToken}`)
      .send({ firstName: 'Meanwhile', workNumber: '+1 469 555 9999' });
    const res = await importing;
    expect(added.status).toBe(201);
    expect(res.status).toBe(200);
    expect(res.body.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(res.body.counts.unchanged).toBeGreaterThanOrEqual(ROWS + 1);
    expect(await srv.ctx.db.allContacts('late', { source: 'shared' })).toHaveLength(ROWS + 2);
  }, 120_000);

  // Phones before imports: the import's two threads run at a lower priority than the thread
  // that answers phones (Linux keeps a nice value per thread).
  it.skipIf(process.platform !== 'linux')('runs the import and check threads behind the main thread (nice 10)', async () => {
    const res = await upload(srv.httpUrl, 'acme', token, Buffer.from(['First Name,Work Number', ...Array.from({ length: 200 }, (_, i) => `Nice${i},+1 469 555 ${String(3000 + i)}`)].join('\n')), 'nice.csv', {});
    expect(res.status).toBe(200);
    const niceOf = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
    };
    const tasks = readdirSync('/proc/self/task');
    const behind = tasks.filter((t) => niceOf(t) === JOB_THREAD_NICE);
    expect(behind.length).toBeGreaterThanOrEqual(2); // the import thread and the check thread
    const self = readlinkSync('/proc/thread-self').split('/').pop()!;
    expect(niceOf(self)).toBe(0); // this thread runs the server's event loop
    expect(behind).not.toContain(self);
  });

  it('reports errors from the worker as the API errors they are', async () => {
    const bad = Buffer.from('Nothing,Useful\n' + 'a,b\n'.repeat(1000));
    const res = await upload(srv.httpUrl, 'acme', token, bad, 'bad.csv');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/^Unrecognised header/) });
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(4000)]);
    expect((await upload(srv.httpUrl, 'acme', token, png, 'x.csv')).status).toBe(415);
  }, 60_000);
});
