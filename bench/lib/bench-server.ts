// The real server for in-process benchmarks: a fresh data dir, HTTP and LDAP on loopback port 0,
// silent logs; plus the accounts of fake contacts a bench measures against, and the 'probe'
// account the phone probe (phone-probe.ts) reads. BENCH_DATABASE=postgres (lib/bench-db.ts) puts
// the server on a throwaway PostgreSQL; srv.stop() then stops that too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { benchDatabase, benchEngine, type BenchEngine } from './bench-db.ts';
import { fakeContact } from './fake-contacts.ts';

export const BENCH_ACTOR = { id: 'bench' };

/**
 * A server over a new temp dir (the caller removes `dir` after stopping it), on the engine
 * BENCH_DATABASE names first unless `engine` is given; `overrides` are merged into the config.
 */
export async function startBenchServer(name: string, engine: BenchEngine = benchEngine(), overrides: Record<string, unknown> = {}): Promise<{ dir: string; srv: RunningServer; engine: BenchEngine }> {
  const dir = mkdtempSync(join(tmpdir(), `dialbook-${name}-bench-`));
  const db = await benchDatabase(engine, name);
  const config = loadConfig({ env: {}, overrides: {
    dataDir: join(dir, 'data'), log: { level: 'silent' }, http: { host: '127.0.0.1', port: 0 },
    ldap: { host: '127.0.0.1', port: 0, failedBindDelayMs: 0 }, ...db.overrides, ...overrides,
  } });
  let srv: RunningServer;
  try {
    srv = await startServer(config);
  } catch (err) {
    await db.stop();
    throw err;
  }
  const stopServer = srv.stop;
  let stopping: Promise<void> | null = null;
  srv.stop = () => (stopping ??= stopServer().finally(() => db.stop()));
  return { dir, srv, engine };
}

/** Accounts of n fake shared contacts each, then the probe account's phone credentials. */
export async function seedBenchAccounts(srv: RunningServer, accounts: readonly (readonly [string, number])[], rand: () => number): Promise<void> {
  const store = srv.ctx.db;
  for (const [id, n] of accounts) {
    await store.createAccount({ id, name: id, region: 'US' }, BENCH_ACTOR);
    await store.applyBatch(id, { source: 'shared' }, Array.from({ length: n }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeContact(i, rand), 'US') })), BENCH_ACTOR);
  }
  if (accounts.some(([id]) => id === 'probe')) await srv.ctx.phoneCredentials.set('probe', 'phones', 'probe-password', BENCH_ACTOR);
}
