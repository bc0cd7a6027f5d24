// What only PostgreSQL has: several instances over one database, and a server that may not be
// there. A start against an unreachable server fails at once with one error naming host and port
// (never the password), and one that never answers within the connect timeout. Three instances
// starting together on an empty database migrate it once; a write through one instance reaches another's
// follower by NOTIFY; a NOTIFY sent while the listener's connection was down (lost for good, as
// measured in issue 19) is recovered by the catch-up on reconnect.
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import { ChangeFollower, type FollowedChange } from '../../../src/store/change-follower.ts';
import { PostgresUnreachableError } from '../../../src/store/postgres/pg-connect.ts';
import { openPostgresStore } from '../../../src/store/postgres/pg-store.ts';
import { SCHEMA_VERSION } from '../../../src/store/postgres/pg-migrations.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { gate, until } from './stores.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const prep = (lastName: string) => prepareContact({ lastName, workNumber: '+1 469 429 2000' }, 'US');

describe.skipIf(!requirePostgres())('PostgreSQL store: several instances', () => {
  let server: TestPostgres;
  beforeAll(async () => { server = await startPostgres(); });
  afterAll(async () => { await server?.stop(); });

  it('three instances starting together on an empty database migrate it once; all three work', async () => {
    const url = await server.createDatabase('three');
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url, poolSize: 2 })));
    try {
      const applied = stores.map((s) => s.appliedMigrations);
      expect(applied.flat()).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
      expect(applied.filter((a) => a.length === 0)).toHaveLength(2);
      // each instance reads what another wrote
      await stores[0].createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      const c = await stores[1].createContact('acme', SHARED, prep('Shared'), actor);
      expect((await stores[2].getContact('acme', c.id, { shared: true, users: false, personalOf: null }))!.lastName).toBe('Shared');
      // and a fourth start later finds nothing to do
      const late = await openPostgresStore({ url, poolSize: 1 });
      expect(late.appliedMigrations).toEqual([]);
      await late.close();
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a database whose schema is newer than this dialbook', async () => {
    const url = await server.createDatabase('newer');
    const s = await openPostgresStore({ url, poolSize: 1 });
    await s.close();
    const pg = await import('pg');
    const c = new pg.default.Client({ connectionString: url });
    await c.connect();
    await c.query('INSERT INTO dialbook_schema (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
    await c.end();
    await expect(openPostgresStore({ url, poolSize: 1 })).rejects.toThrow(/newer than this dialbook/);
  });

  it('delivers a write through instance A to instance B by NOTIFY, and recovers one sent while B\'s listener was down', async () => {
    const url = await server.createDatabase('feed');
    const a = await openPostgresStore({ url, poolSize: 2 });
    // B's listener reconnects only when the test opens the gate: the write below lands while it is down.
    let reconnectGate = gate();
    const b = await openPostgresStore({ url, poolSize: 2, keepaliveMs: 0, reconnectDelay: () => reconnectGate.promise });
    try {
      await a.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      const seen: FollowedChange[] = [];
      // No safety poll here (pollMs 0): only notifications and reconnects make B read the feed.
      const follower = new ChangeFollower(b, { from: new Map([['acme', 1]]), onChange: (c) => seen.push(c) });
      await follower.start();
      const ids = () => seen.flatMap((c) => (c.kind === 'changes' ? c.changes.changed : []));

      const first = await a.createContact('acme', SHARED, prep('Notified'), actor);
      await until(() => ids().includes(first.id));

      // Cut B's listener connection from the server side, as a restart or a network fault would.
      const admin = await server.admin();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dialbook-listener' AND datname = 'feed'");
      await admin.end();
      await until(() => !follower.connected);
      const lost = await a.createContact('acme', SHARED, prep('Lost notification'), actor);
      // Give a notification every chance to arrive: a round trip through A's connection and B's feed read.
      await a.getAccountVersion('acme');
      expect(ids()).not.toContain(lost.id);
      expect(follower.position('acme')).toBe(2);

      const opened = reconnectGate;
      reconnectGate = gate();
      opened.open();
      await until(() => ids().includes(lost.id)); // the catch-up on reconnect found it
      expect(follower.connected).toBe(true);
      expect(follower.position('acme')).toBe(3);

      // and notifications flow again on the new connection
      const third = await a.createContact('acme', SHARED, prep('After reconnect'), actor);
      await until(() => ids().includes(third.id));
      expect(ids()).toEqual([first.id, lost.id, third.id]);
      await follower.stop();
    } finally {
      reconnectGate.open();
      await a.close();
      await b.close();
    }
  });

});

// No PostgreSQL needed: these start against a port where none is.
describe('PostgreSQL store: a start against an unreachable server', () => {
  it('fails a start against an unreachable server with one error naming host and port, never the password', async () => {
    const closed = await listening((socket) => socket.destroy());
    await closed.close(); // nothing listens on that port any more
    const err = await openPostgresStore({ url: `postgres://dialbook:s3cret-pw@127.0.0.1:${closed.port}/dialbook`, poolSize: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresUnreachableError);
    expect((err as Error).message).toContain(`Cannot reach PostgreSQL at 127.0.0.1:${closed.port}`);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect((err as Error).message).not.toContain('s3cret-pw');
  });

  it('gives up on a server that accepts but never answers after the connect timeout, not the system TCP timeout', async () => {
    const held: Socket[] = [];
    const silent = await listening((socket) => { held.push(socket); });
    try {
      const started = Date.now();
      const err = await openPostgresStore({ url: `postgres://dialbook:s3cret-pw@127.0.0.1:${silent.port}/dialbook`, poolSize: 1, connectTimeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PostgresUnreachableError);
      expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${silent.port}: no answer within the connect timeout`));
      expect((err as Error).message).not.toContain('s3cret-pw');
      // bounded by the timeout asked for (300 ms); the margin is for a loaded machine
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const socket of held) socket.destroy();
      await silent.close();
    }
  });
});

/** A TCP server on a free local port that hands each connection to onConnection. */
async function listening(onConnection: (socket: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
