// /readyz: 503 until the templates, the LDAP listener and a writable database are there, and
// while stopping; 200 when all are. /healthz stays the cheap liveness answer.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { loadDemo } from '../../src/bootstrap.ts';
import { Readiness } from '../../src/ops/readiness.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
beforeAll(async () => { srv = await startTestServer(); });
afterAll(async () => { await srv.close(); });

describe('/readyz', () => {
  it('is 200 on a started server, next to /healthz', async () => {
    const ready = await request(srv.httpUrl).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
    expect(ready.headers['cache-control']).toBe('no-store');
    expect((await request(srv.httpUrl).get('/healthz')).status).toBe(200);
  });

  it('is 503 naming the LDAP listener until it listens, and while stopping', async () => {
    const readiness = new Readiness(srv.ctx.db, { ldapEnabled: true, probeEveryMs: 0 });
    const app = createApp(srv.ctx, readiness);
    const before = await request(app).get('/readyz');
    expect(before.status).toBe(503);
    expect(before.body.failing).toEqual({ ldap: 'LDAP listener not started yet' });
    readiness.ldapListening();
    expect((await request(app).get('/readyz')).status).toBe(200);
    readiness.stopStarted();
    const stopping = await request(app).get('/readyz');
    expect(stopping.status).toBe(503);
    expect(Object.keys(stopping.body.failing)).toEqual(['stopping']);
  });

  it('is 503 naming the database while it does not take writes, and ready again after', async () => {
    const readiness = new Readiness(srv.ctx.db, { ldapEnabled: false, probeEveryMs: 0 });
    const app = createApp(srv.ctx, readiness);
    // Another process holding the write lock (a stuck job, a long manual transaction).
    const other = new Database(join(srv.dataDir, 'dialbook.db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const locked = await request(app).get('/readyz');
      expect(locked.status).toBe(503);
      expect(locked.body.failing.database).toMatch(/database does not take writes: .*locked/);
      // Liveness is unaffected: the process is alive, just not ready.
      expect((await request(app).get('/healthz')).status).toBe(200);
      other.exec('ROLLBACK');
      expect((await request(app).get('/readyz')).status).toBe(200);
    } finally {
      other.close();
    }
  });

  it('stays ready while its own import holds the write lock, not while anything else does', async () => {
    let importing = true;
    const readiness = new Readiness(srv.ctx.db, { ldapEnabled: false, probeEveryMs: 0, ownWriteRunning: () => importing });
    const app = createApp(srv.ctx, readiness);
    const other = new Database(join(srv.dataDir, 'dialbook.db'));
    try {
      other.exec('BEGIN IMMEDIATE'); // stands in for the import thread's open batch
      expect((await request(app).get('/readyz')).status).toBe(200);
      importing = false; // the lock outlives the import: someone else holds it
      const locked = await request(app).get('/readyz');
      expect(locked.status).toBe(503);
      expect(locked.body.failing.database).toMatch(/locked/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('is 503 naming a start-up task (the demo account) until it has finished, whole', async () => {
    const readiness = new Readiness(srv.ctx.db, { ldapEnabled: false, probeEveryMs: 0 });
    const app = createApp(srv.ctx, readiness);
    const seeding = readiness.startupTask('loading the demo account', loadDemo(srv.ctx));
    const during = await request(app).get('/readyz');
    expect(during.status).toBe(503);
    expect(during.body.failing).toEqual({ starting: 'still loading the demo account' });
    expect(await seeding).toBe('demo');
    expect((await request(app).get('/readyz')).status).toBe(200);
    // ready means usable: the account is there whole
    expect(await srv.ctx.db.allContacts('demo', { source: 'shared' })).toHaveLength(8);
  });

  it('is 503 naming the database when a write probe does not answer within a second, unless its own import is what it waits for', async () => {
    let importing = false;
    const stuck = { probeWrite: () => new Promise<void>(() => {}) }; // a server database that stopped answering
    const readiness = new Readiness(stuck, { ldapEnabled: false, probeEveryMs: 0, ownWriteRunning: () => importing });
    const app = createApp(srv.ctx, readiness);
    const started = Date.now();
    const late = await request(app).get('/readyz');
    expect(late.status).toBe(503);
    expect(late.body.failing.database).toMatch(/no answer within 1000 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    importing = true;
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('is ready again after a start-up task fails, which still reports its error', async () => {
    const readiness = new Readiness(srv.ctx.db, { ldapEnabled: false, probeEveryMs: 0 });
    const app = createApp(srv.ctx, readiness);
    const failing = readiness.startupTask('loading the demo account', loadDemo(srv.ctx, join(srv.dataDir, 'no-such-demo.json')));
    await expect(failing).rejects.toThrow(/no-such-demo\.json is missing/);
    expect((await request(app).get('/readyz')).status).toBe(200);
  });
});
