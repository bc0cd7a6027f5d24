// The one switch that puts a bench on PostgreSQL: BENCH_DATABASE=postgres (or sqlite, the default;
// "both" or "sqlite,postgres" runs the bench once per engine where it loops over benchEngines()).
// On PostgreSQL a throwaway server is started in a temp dir (test/helpers/postgres.ts: loopback, fsync off,
// as the tests run it) with one database for the bench; the server under test gets its URL as
// database.url (in process) or DIALBOOK_DATABASE_URL (child process). The data dir stays what it
// was (it holds secret.key, which the phone credentials are sealed with).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AsyncStore } from '../../src/store/async-store.ts';
import { openStoreFor, type ThreadStore } from '../../src/store/open-store.ts';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.ts';

/** Room for a server's pool, its threads' and the bench's own connections; buffers from BENCH_PG_SHARED_BUFFERS. */
export const BENCH_POSTGRES = { maxConnections: 200, sharedBuffers: process.env.BENCH_PG_SHARED_BUFFERS ?? '128MB' };

export type BenchEngine = 'sqlite' | 'postgres';

/** The engines BENCH_DATABASE names, in order (default: sqlite only). */
export function benchEngines(): BenchEngine[] {
  const raw = (process.env.BENCH_DATABASE ?? 'sqlite').trim().toLowerCase();
  if (raw === 'both' || raw === 'all') return ['sqlite', 'postgres'];
  const out = raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s === 'pg' || s === 'postgresql' ? 'postgres' : s));
  for (const e of out) if (e !== 'sqlite' && e !== 'postgres') throw new Error(`BENCH_DATABASE: unknown engine "${e}" (sqlite, postgres, both)`);
  return [...new Set(out)] as BenchEngine[];
}

/** The engine a single-engine bench runs on: the first BENCH_DATABASE names. */
export function benchEngine(): BenchEngine {
  return benchEngines()[0];
}

export interface BenchDatabase {
  engine: BenchEngine;
  /** postgres://… or null on SQLite. */
  url: string | null;
  /** Environment for a `dialbook serve` child process (DIALBOOK_DATABASE_URL on PostgreSQL). */
  env: Record<string, string>;
  /** A store for seeding before the server starts (close it before the server opens SQLite). */
  open(dataDir: string): Promise<ThreadStore>;
  /** The server's `overrides` part for loadConfig (database.url on PostgreSQL). */
  overrides: { database?: { url: string } };
  pg: TestPostgres | null;
  stop(): Promise<void>;
}

/** A database for a bench: nothing to start on SQLite, a throwaway PostgreSQL otherwise. */
export async function benchDatabase(engine: BenchEngine, name: string): Promise<BenchDatabase> {
  if (engine === 'sqlite') {
    return {
      engine, url: null, env: {}, overrides: {}, pg: null,
      open: (dataDir) => openStoreFor({ engine: 'sqlite', file: join(dataDir, 'dialbook.db') }),
      stop: async () => {},
    };
  }
  const pg = await startPostgres(BENCH_POSTGRES);
  const url = await pg.createDatabase(`dialbook_${name.replace(/\W/g, '_')}`);
  return {
    engine, url, pg, env: { DIALBOOK_DATABASE_URL: url }, overrides: { database: { url } },
    open: () => openStoreFor({ engine: 'postgres', url }),
    stop: () => pg.stop(),
  };
}

/** The store a running server uses, typed as the full contract (ctx.db). */
export type ServerStore = AsyncStore;

/** "load average 1.23 0.98 0.77": recorded next to every figure (2 cores shared with other work). */
export function loadAverage(): string {
  return `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`;
}
