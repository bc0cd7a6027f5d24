// Opens a store from a locator (async-store.ts): what the import and export threads do with the
// database they are handed, whichever engine it is. The one place that picks an engine by its
// locator. PostgreSQL's driver is loaded only when a PostgreSQL locator is opened, so an
// installation on SQLite never loads `pg`.
import type {
  AsyncAccountStore, AsyncContactReads, AsyncContactWrites, AsyncGroupStore, AsyncStoreLifecycle, StoreLocator,
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

/**
 * The database the configuration names, for commands that open it without a server (backup).
 * SQLite in the data dir: no option selects PostgreSQL yet (database.url, issue 19, goes here).
 */
export function configuredLocator(config: { dataDir: string }): StoreLocator {
  return { engine: 'sqlite', file: databaseFile(config) };
}

export async function openStoreFor(locator: StoreLocator, opts: OpenStoreOptions = {}): Promise<ThreadStore> {
  switch (locator.engine) {
    case 'sqlite':
      return openSqliteAsyncStore(locator.file, undefined, { readOnly: opts.readOnly });
    case 'postgres': {
      // A thread's own pool: one connection holds an import's transaction, one reads beside it.
      const { openPostgresStore } = await import('./postgres/pg-store.ts');
      return openPostgresStore({ url: locator.url, poolSize: 2 });
    }
  }
}
