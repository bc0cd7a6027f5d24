// Opens a store from a locator (async-store.ts): what the import and export threads do with the
// database they are handed, whichever engine it is. The one place that picks an engine by its
// locator. PostgreSQL's driver is loaded only when a PostgreSQL locator is opened, so an
// installation on SQLite never loads `pg`.
import type {
  AsyncStore, AsyncAccountStore, AsyncContactReads, AsyncContactWrites, AsyncGroupStore, AsyncStoreLifecycle, StoreLocator,
} from './async-store.ts';
import { openSqliteAsyncStore } from './sqlite/sqlite-async-store.ts';
import { databaseFile } from './sqlite/sqlite-store.ts';

/**
 * What a thread does with its store: accounts, contact reads and writes (the import), groups (the
 * export's group filter), afterLargeWrite and close. Narrower than AsyncStore so that every
 * engine's store fits it as it is.
 */
export type ThreadStore = AsyncAccountStore & AsyncContactReads & AsyncContactWrites & AsyncGroupStore & AsyncStoreLifecycle;

export interface OpenStoreOptions {
  /** Reads only (the export): SQLite opens without migrating or writing statistics. */
  readOnly?: boolean;
}

/** What picks the engine: database.url (PostgreSQL) or else SQLite in dataDir. */
export interface StoreConfig {
  dataDir: string;
  database: { url: string | null; poolSize: number; connectTimeoutMs: number };
}

/** The database the configuration names (the server's, and the threads' and commands' it hands on). */
export function configuredLocator(config: StoreConfig): StoreLocator {
  return config.database.url ? { engine: 'postgres', url: config.database.url } : { engine: 'sqlite', file: databaseFile(config) };
}

/**
 * The server's store. PostgreSQL: its pool of database.poolSize, migrated under the advisory
 * lock; unreachable within connectTimeoutMs, it throws one error naming host and port (never the
 * password), and the start stops there.
 */
export async function openConfiguredStore(config: StoreConfig): Promise<AsyncStore> {
  const locator = configuredLocator(config);
  if (locator.engine === 'sqlite') return openSqliteAsyncStore(locator.file);
  const { openPostgresStore } = await import('./postgres/pg-store.ts');
  return openPostgresStore({ url: locator.url, poolSize: config.database.poolSize, connectTimeoutMs: config.database.connectTimeoutMs });
}

export async function openStoreFor(locator: StoreLocator, opts: OpenStoreOptions = {}): Promise<ThreadStore> {
  switch (locator.engine) {
    case 'sqlite':
      return openSqliteAsyncStore(locator.file, undefined, { readOnly: opts.readOnly });
    case 'postgres': {
      // A thread's own pool: one connection holds an import's transaction, and two read beside it
      // (an upsert's read of the stored contacts asks for their numbers and groups at once). With
      // two, the second of those waited for the first, and at 1,000,000 stored contacts longer
      // than the pool's 5 s wait: the re-import failed with 503 (bench/README.md, "Import").
      const { openPostgresStore } = await import('./postgres/pg-store.ts');
      return openPostgresStore({ url: locator.url, poolSize: 3 });
    }
  }
}
