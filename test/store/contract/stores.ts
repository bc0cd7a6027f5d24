// The implementations the contract suite runs over, the way Radicale runs one suite over every
// storage: the SQLite adapter (a temp file) and PostgreSQL (a real server from
// test/helpers/postgres.ts, one database per test file). Each test file gets fresh stores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { AsyncStore } from '../../../src/store/async-store.ts';
import { openSqliteAsyncStore } from '../../../src/store/sqlite/sqlite-async-store.ts';
import { openPostgresStore } from '../../../src/store/postgres/pg-store.ts';
import type { ListenerOptions } from '../../../src/store/postgres/pg-listener.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';

/** What both implementations provide: the whole contract. */
export type ContractStore = AsyncStore;

/** A migrated schema: each table's column names, sorted. */
export type Schema = Map<string, string[]>;

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  available: () => boolean;
  /** Sets up the engine for a test file (a temp dir, or a PostgreSQL server with a database). */
  setUp(file: string): Promise<void>;
  /** A store over the test file's database; several calls give several "instances" over the same one. */
  open(opts?: ListenerOptions): Promise<ContractStore>;
  tearDown(): Promise<void>;
  /** The tables and columns of the test file's migrated database (after a first open). */
  schema(): Promise<Schema>;
  /** Runs SQL straight on the test file's database (close the stores first), as an older dialbook left it. */
  exec(sql: string): Promise<void>;
  /** How many rows of a table belong to an account (account_id = ?), read straight from the database. */
  accountRows(table: string, accountId: string): Promise<number>;
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
    async exec(sql) {
      const db = new Database(join(dir, 'dialbook.db'));
      try { db.exec(sql); } finally { db.close(); }
    },
    async accountRows(table, accountId) {
      const db = new Database(join(dir, 'dialbook.db'), { readonly: true });
      try { return (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE account_id = ?`).get(accountId) as { n: number }).n; } finally { db.close(); }
    },
    async schema() {
      const db = new Database(join(dir, 'dialbook.db'), { readonly: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
        return new Map(tables.map((t) => [t, (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]).sort()]));
      } finally {
        db.close();
      }
    },
  };
}

export function postgresKind(): StoreKind {
  let server: TestPostgres | null = null;
  let url = '';
  const opened: ContractStore[] = [];
  return {
    name: 'postgres',
    available: () => requirePostgres(),
    async setUp(file) {
      server = await startPostgres();
      url = await server.createDatabase(file.replace(/\W/g, '_').toLowerCase());
    },
    async open(opts) {
      const s = await openPostgresStore({ url, poolSize: 4, ...opts });
      opened.push(s);
      return s;
    },
    async tearDown() {
      for (const s of opened.splice(0)) await s.close().catch(() => {});
      await server?.stop();
    },
    async exec(sql) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try { await c.query(sql); } finally { await c.end(); }
    },
    async accountRows(table, accountId) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try { return Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE account_id = $1`, [accountId])).rows[0].n); } finally { await c.end(); }
    },
    async schema() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const { rows } = await c.query<{ t: string; c: string }>(
          "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name COLLATE \"C\"");
        const out: Schema = new Map();
        for (const r of rows) out.set(r.t, [...(out.get(r.t) ?? []), r.c]);
        return out;
      } finally {
        await c.end();
      }
    },
    server: () => server!,
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
