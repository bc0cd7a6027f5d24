// The implementations the contract suite runs over, the way Radicale runs one suite over every
// storage: the SQLite adapter (a temp file) and PostgreSQL (a real server from
// test/helpers/postgres.ts, one database per test file). Each test file gets fresh stores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteAsyncStore } from '../../../src/store/sqlite/sqlite-async-store.ts';
import { openPostgresStore, type PostgresImplemented } from '../../../src/store/postgres/pg-store.ts';
import type { ListenerOptions } from '../../../src/store/postgres/pg-listener.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';

/** What both implementations provide today: the contract minus what PostgreSQL lacks so far. */
export type ContractStore = PostgresImplemented;

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  available: () => boolean;
  /** Sets up the engine for a test file (a temp dir, or a PostgreSQL server with a database). */
  setUp(file: string): Promise<void>;
  /** A store over the test file's database; several calls give several "instances" over the same one. */
  open(opts?: ListenerOptions): Promise<ContractStore>;
  tearDown(): Promise<void>;
  /** The PostgreSQL server (postgres kind only). */
  server?: () => TestPostgres;
}

export function sqliteKind(): StoreKind {
  let dir = '';
  const opened: ContractStore[] = [];
  return {
    name: 'sqlite',
    available: () => true,
    async setUp() { dir = mkdtempSync(join(tmpdir(), 'dialbook-contract-')); },
    async open() {
      const s = openSqliteAsyncStore(join(dir, 'dialbook.db'));
      opened.push(s);
      return s;
    },
    async tearDown() {
      for (const s of opened.splice(0)) await s.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresKind(): StoreKind {
  let pg: TestPostgres | null = null;
  let url = '';
  const opened: ContractStore[] = [];
  return {
    name: 'postgres',
    available: () => requirePostgres(),
    async setUp(file) {
      pg = await startPostgres();
      url = await pg.createDatabase(file.replace(/\W/g, '_').toLowerCase());
    },
    async open(opts) {
      const s = await openPostgresStore({ url, poolSize: 4, ...opts });
      opened.push(s);
      return s;
    },
    async tearDown() {
      for (const s of opened.splice(0)) await s.close().catch(() => {});
      await pg?.stop();
    },
    server: () => pg!,
  };
}

export const KINDS = [sqliteKind, postgresKind];

/** Polls until cond() holds (the test's timeout bounds it): waiting for another connection, never a timing assertion. */
export async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 5));
}

/** An async chunk source the test releases step by step: a transaction held open on purpose. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}
