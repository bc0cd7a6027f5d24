// The real `dialbook serve` process: SIGTERM with phonebook requests in flight drops none of them
// (issue #10, defect 5), and a disk that fills up answers a clear JSON error while everything
// stored before stays readable (defect 6); a kill during a large import leaves all or nothing.
import { request as httpRequest } from 'node:http';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { seedDataDir, startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { ADMIN_TOKEN, seedAccount } from '../helpers/test-server.ts';

const PHONE_AUTH = 'Basic ' + Buffer.from('phones:phone-password-1').toString('base64');
let server: ChildServer | null = null;
let dataDir: string | null = null;

afterEach(() => {
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  server = null;
  dataDir = null;
});

function contacts(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({
    firstName: `First${i}`, lastName: `Last${String(i).padStart(5, '0')}`, company: 'Acme Supplies',
    workNumber: `+1 212 55${String(i).padStart(5, '0')}`, mobileNumber: i % 2 ? `+1 646 55${String(i).padStart(5, '0')}` : '',
  }));
}

interface Outcome { status: number | null; bytes: number; error: string | null }

/** One request on its own connection; resolves `sent` once the request is fully written. */
function phoneRequest(port: number, path: string): { sent: Promise<void>; done: Promise<Outcome> } {
  let markSent!: () => void;
  const sent = new Promise<void>((r) => { markSent = r; });
  const done = new Promise<Outcome>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { Authorization: PHONE_AUTH } }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => { bytes += d.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? null, bytes, error: null }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? null, bytes, error: e.message }));
    });
    req.on('error', (e) => { markSent(); resolve({ status: null, bytes: 0, error: (e as NodeJS.ErrnoException).code ?? e.message }); });
    // sent = connected (the server's kernel holds the connection) and the request fully written
    let connected = false;
    let finished = false;
    const check = () => { if (connected && finished) markSent(); };
    req.on('socket', (socket) => socket.once('connect', () => { connected = true; check(); }));
    req.on('finish', () => { finished = true; check(); });
    req.end();
  });
  return { sent, done };
}

describe('SIGTERM', () => {
  it('answers all 20 phonebook requests already sent, then exits 0 and refuses new connections', async () => {
    dataDir = await seedDataDir(async (ctx) => {
      await seedAccount(ctx, { id: 'acme', contacts: contacts(3000), phoneCredentials: { username: 'phones', password: 'phone-password-1' } });
    });
    server = await startChildServer(dataDir, { shutdownGraceMs: 20_000 });
    // distinct searches: each one is real work for the server, nothing served from a cache
    const requests = Array.from({ length: 20 }, (_, i) => phoneRequest(server!.port, `/phonebook/acme/yealink.xml?q=Last0${String(i).padStart(2, '0')}`));
    const full = phoneRequest(server.port, '/phonebook/acme/grandstream.xml');
    await Promise.all([...requests, full].map((r) => r.sent));
    server.child.kill('SIGTERM');
    const outcomes = await Promise.all([...requests, full].map((r) => r.done));
    expect(outcomes.filter((o) => o.error !== null || o.status !== 200)).toEqual([]);
    expect(outcomes.every((o) => o.bytes > 0)).toBe(true);
    expect(await server.exited).toBe(0);
    const late = await phoneRequest(server.port, '/phonebook/acme/yealink.xml').done;
    expect(late.error).toBe('ECONNREFUSED');
  }, 60_000);
});

describe('disk full', () => {
  it('answers JSON 503/507 once the disk fills, keeps every earlier write and stays up', async () => {
    const seeded: { token?: string } = {};
    dataDir = await seedDataDir(async (ctx) => {
      const s = await seedAccount(ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }], contacts: contacts(50) });
      seeded.token = s.tokens.olivia;
      void prepareContact; // seeded through the real validation in seedAccount
    });
    const dbBytes = statSync(join(dataDir, 'dialbook.db')).size;
    // Room for the database file as it is and a write-ahead log of ~256 KiB: the log fills first.
    server = await startChildServer(dataDir, { maxFileKib: Math.ceil(dbBytes / 1024) + 256 });
    const auth = { Authorization: `Bearer ${seeded.token}`, 'Content-Type': 'application/json' };
    let created = 0;
    let failure: { status: number; text: string } | null = null;
    for (let i = 0; i < 2000 && !failure; i++) {
      const res = await fetch(`${server.httpUrl}/api/v1/accounts/acme/contacts`, {
        method: 'POST', headers: auth,
        body: JSON.stringify({ firstName: `Filler${i}`, lastName: 'x'.repeat(100), company: 'c'.repeat(150), title: 't'.repeat(100), workNumber: `+1 718 55${String(i).padStart(5, '0')}` }),
      });
      if (res.status === 201) created++;
      else failure = { status: res.status, text: await res.text() };
    }
    expect(failure).not.toBeNull();
    expect([503, 507]).toContain(failure!.status);
    const body = JSON.parse(failure!.text);
    expect(['storage_unavailable', 'storage_full']).toContain(body.error.code);
    expect(body.error.message).toMatch(/nothing was changed/);
    expect(failure!.text).not.toMatch(/SQLITE|\/tmp\/|\/work\/|node_modules|\bat /);
    expect(created).toBeGreaterThan(0);
    // Everything stored before is still there, the failed write is not, and the server is up.
    const list = await fetch(`${server.httpUrl}/api/v1/accounts/acme/contacts?limit=1`, { headers: auth });
    expect(list.status).toBe(200);
    expect((await list.json()).total).toBe(50 + created);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    void ADMIN_TOKEN;
  }, 60_000);
});

describe('disk full during an import in the worker thread', () => {
  it('answers 503/507 with the storage error, not 500, and keeps the account as it was', async () => {
    dataDir = await seedDataDir(async (ctx) => {
      await seedAccount(ctx, { id: 'acme', contacts: contacts(50) });
    });
    const dbBytes = statSync(join(dataDir, 'dialbook.db')).size;
    // room for a WAL of ~256 KiB: a 20,000-row import (far more) fills it inside its transaction
    server = await startChildServer(dataDir, { maxFileKib: Math.ceil(dbBytes / 1024) + 256 });
    const lines = ['First Name,Last Name,Company,Work Number'];
    for (let i = 0; i < 20_000; i++) lines.push(`Full${i},${'x'.repeat(60)},${'c'.repeat(60)},+1 469 555 ${String(i % 10_000).padStart(4, '0')}`);
    const res = await fetch(`${server.httpUrl}/api/v1/accounts/acme/contacts/import`, {
      method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'text/csv' }, body: lines.join('\n'),
    });
    const text = await res.text();
    expect([503, 507], text).toContain(res.status);
    const body = JSON.parse(text);
    expect(['storage_unavailable', 'storage_full']).toContain(body.error.code);
    expect(body.error.message).toMatch(/nothing was changed/);
    if (res.status === 503) expect(res.headers.get('retry-after')).toBe('5');
    expect(text).not.toMatch(/SQLITE|\/tmp\/|\/work\/|node_modules|\bat /);
    const list = await fetch(`${server.httpUrl}/api/v1/accounts/acme/contacts?limit=1`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await list.json()).total).toBe(50);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
  }, 120_000);
});

describe('SIGKILL during a large import', () => {
  // The import thread writes slices inside one open transaction: a kill at any moment leaves
  // the account as it was or with the whole file, never part of it, and the database opens.
  it('leaves all or nothing of the file, an intact database, and a server that imports again', async () => {
    const ROWS = 100_000;
    dataDir = await seedDataDir(async (ctx) => {
      await seedAccount(ctx, { id: 'acme', contacts: contacts(1) });
    });
    server = await startChildServer(dataDir);
    const lines = ['First Name,Last Name,Work Number'];
    for (let i = 0; i < ROWS; i++) lines.push(`Kill${i},Test${i},+1 469 555 ${String(i % 10_000).padStart(4, '0')}`);
    const csv = lines.join('\n');
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'text/csv' };
    const url = (s: ChildServer) => `${s.httpUrl}/api/v1/accounts/acme/contacts/import?onError=skip`;
    const upload = fetch(url(server), { method: 'POST', headers: auth, body: csv }).then((r) => r.status, (e: Error) => e.message);
    // The kill lands while the import's transaction is open and writing: once its write lock is
    // seen (a BEGIN IMMEDIATE from here is refused), plus a second of writing, far from its end
    // (100,000 rows take several seconds), whatever the machine's speed.
    // (Busy on five polls in a row: the server's own short writes hold the lock for microseconds.)
    const probe = new Database(join(dataDir, 'dialbook.db'), { timeout: 0 });
    let busyPolls = 0;
    try {
      await expect.poll(() => {
        try {
          probe.exec('BEGIN IMMEDIATE; ROLLBACK');
          busyPolls = 0;
        } catch (err) {
          busyPolls = (err as { code?: string }).code === 'SQLITE_BUSY' ? busyPolls + 1 : 0;
        }
        return busyPolls;
      }, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(5);
    } finally {
      probe.close();
    }
    await new Promise((r) => setTimeout(r, 1000));
    server.kill();
    await server.exited;
    expect(await upload).not.toBe(200); // killed before it answered
    const db = new Database(join(dataDir, 'dialbook.db'));
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    const count = async (s: ChildServer) => {
      const res = await fetch(`${s.httpUrl}/api/v1/accounts/acme/contacts?limit=1`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      return (await res.json()).total as number;
    };
    server = await startChildServer(dataDir);
    const afterKill = await count(server);
    expect([1, ROWS + 1]).toContain(afterKill);
    const again = await fetch(url(server), { method: 'POST', headers: auth, body: csv });
    expect(again.status).toBe(200);
    // add mode: rows equal to stored contacts are not added twice, so either way the file is there once
    expect(await count(server)).toBe(ROWS + 1);
  }, 120_000);
});
