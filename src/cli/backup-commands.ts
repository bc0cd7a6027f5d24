// `dialbook backup <dir>` and `dialbook restore <dir>`: a backup is a folder holding everything a
// restore needs: the database as its engine copies it (SQLite: an online copy of the file;
// PostgreSQL: a pg_dump), the secrets key that opens the phone passwords sealed in it, and a
// manifest with checksums. Restore checks all of it before touching the data
// dir, so a broken or mismatched backup never replaces a working one.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { SecretBox } from '../auth/secret-box.ts';
import { openSecretsOf } from '../bootstrap.ts';
import type { Config } from '../config/config-schema.ts';
import type { StoreLocator } from '../store/async-store.ts';
import { configuredLocator, openStoreFor } from '../store/open-store.ts';
import { backupSqliteFile } from '../store/sqlite/sqlite-backup.ts';
import { DATABASE_FILE_NAME, databaseFile } from '../store/sqlite/sqlite-store.ts';
import { PG_RESTORE_HINT, pgDump, pgRestore } from './pg-dump.ts';

const FORMAT = 'dialbook-backup';
const DB = DATABASE_FILE_NAME;
const KEY = 'secret.key';
const MANIFEST = 'manifest.json';

interface Manifest {
  format: typeof FORMAT;
  version: 1;
  /** Which engine's database the folder holds; absent in backups made before PostgreSQL (SQLite). */
  engine?: StoreLocator['engine'];
  createdAt: string;
  files: Record<string, string>;
}

/** Each engine's database in a backup folder: the file it is written to, and the tool that writes it. */
type Dumps = { [E in StoreLocator['engine']]: { file: string; write(locator: Extract<StoreLocator, { engine: E }>, toFile: string): Promise<void> } };
const DUMPS: Dumps = {
  sqlite: { file: DB, write: (l, toFile) => backupSqliteFile(l.file, toFile) },
  postgres: { file: 'dialbook.pgdump', write: (l, toFile) => pgDump(l.url, toFile) },
};
const dumpOf = (locator: StoreLocator) => DUMPS[locator.engine] as { file: string; write(locator: StoreLocator, toFile: string): Promise<void> };

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Proves that the key file opens every phone credential the database seals (the proof bootstrap's
 * openSecrets makes at start, over the asynchronous store): a folder whose key does not open its
 * database is not a backup. A key is made only for a database with nothing sealed.
 */
async function proveKey(locator: StoreLocator, keyFile: string): Promise<void> {
  const db = await openStoreFor(locator);
  try {
    // the start's own check (bootstrap.ts), on this key file
    await openSecretsOf({ dataDir: '', secretKeyFile: keyFile }, db);
  } finally {
    await db.close();
  }
}

/**
 * Writes a backup folder (must not exist or be empty), safe while the server runs: the database
 * by its engine's tool (SQLite: an online copy; PostgreSQL: pg_dump), the secrets key, a manifest.
 */
export async function backup(config: Config, dir: string, locator: StoreLocator = configuredLocator(config)): Promise<Manifest> {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`Backup folder ${dir} is not empty; name a new folder`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = SecretBox.keyFile(config);
  // Proves the key opens what the database holds before calling this a backup.
  await proveKey(locator, keyFile);
  const dump = dumpOf(locator);
  await dump.write(locator, join(dir, dump.file));
  chmodSync(join(dir, dump.file), 0o600);
  writeFileSync(join(dir, KEY), readFileSync(keyFile), { mode: 0o600 });
  const manifest: Manifest = {
    format: FORMAT, version: 1, engine: locator.engine, createdAt: new Date().toISOString(),
    files: { [dump.file]: sha256(join(dir, dump.file)), [KEY]: sha256(join(dir, KEY)) },
  };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return manifest;
}

/**
 * Restores a SQLite backup folder into the configured data dir (and key file). Refuses a data dir
 * that already has a database unless `force` (stop the server first). The database is checked
 * (checksums, migrations, every sealed secret opened with the backed-up key) in a temporary file,
 * then moved into place. A PostgreSQL backup is restored with pg_restore (the error says how).
 */
export async function restore(config: Config, dir: string, opts: { force: boolean }): Promise<void> {
  const manifestFile = join(dir, MANIFEST);
  if (!existsSync(manifestFile)) throw new Error(`${dir} is not a dialbook backup (no ${MANIFEST})`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  if (manifest.format !== FORMAT || manifest.version !== 1) throw new Error(`${manifestFile}: unknown backup format`);
  const engine = manifest.engine ?? 'sqlite';
  if (engine === 'postgres') return restorePostgres(config, dir, manifest, opts);
  for (const name of [DB, KEY]) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`Backup ${dir} lacks ${name}`);
    if (sha256(file) !== manifest.files[name]) throw new Error(`Backup ${dir}: ${name} does not match its checksum (damaged or altered)`);
  }
  const target = databaseFile(config);
  const keyFile = SecretBox.keyFile(config);
  if (existsSync(target) && !opts.force) throw new Error(`${target} exists; stop the server and pass --force to replace it`);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const tmpDb = `${target}.restoring`;
  const tmpKey = `${keyFile}.restoring`;
  const cleanup = () => { for (const f of [tmpDb, `${tmpDb}-wal`, `${tmpDb}-shm`, tmpKey]) rmSync(f, { force: true }); };
  cleanup();
  try {
    writeFileSync(tmpDb, readFileSync(join(dir, DB)), { mode: 0o600 });
    writeFileSync(tmpKey, readFileSync(join(dir, KEY)), { mode: 0o600 });
    // Opening migrates a backup from an older dialbook; then every sealed secret must open.
    await proveKey({ engine: 'sqlite', file: tmpDb }, tmpKey);
    // An old WAL would be replayed into the restored file: it goes first. Each rename is atomic.
    for (const f of [`${target}-wal`, `${target}-shm`]) rmSync(f, { force: true });
    renameSync(tmpKey, keyFile);
    renameSync(tmpDb, target);
  } finally {
    cleanup();
  }
}

/**
 * A PostgreSQL backup into the database database.url names: refused when that database already
 * holds dialbook's tables unless `force` (then what the dump holds replaces them); pg_restore in
 * one transaction; then the migrations and the key are proven on the restored database and the
 * key is put in place. Stop every instance first.
 */
async function restorePostgres(config: Config, dir: string, manifest: Manifest, opts: { force: boolean }): Promise<void> {
  const url = config.database.url;
  if (!url) throw new Error(`${dir} is a postgres backup: set database.url (DIALBOOK_DATABASE_URL) to the database to restore it into, or ${PG_RESTORE_HINT}`);
  const dump = DUMPS.postgres.file;
  for (const name of [dump, KEY]) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`Backup ${dir} lacks ${name}`);
    if (sha256(file) !== manifest.files[name]) throw new Error(`Backup ${dir}: ${name} does not match its checksum (damaged or altered)`);
  }
  const { hasDialbookSchema, serverOf } = await import('../store/postgres/pg-connect.ts');
  if (!opts.force && await hasDialbookSchema(url)) throw new Error(`The database at ${serverOf(url)} already holds dialbook's tables; stop every instance and pass --force to replace them`);
  await pgRestore(url, join(dir, dump), opts.force);
  const keyFile = SecretBox.keyFile(config);
  const tmpKey = `${keyFile}.restoring`;
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(tmpKey, readFileSync(join(dir, KEY)), { mode: 0o600 });
    await proveKey({ engine: 'postgres', url }, tmpKey);
    renameSync(tmpKey, keyFile);
  } finally {
    rmSync(tmpKey, { force: true });
  }
}

export function registerBackupCommands(program: Command, config: () => Config): void {
  program.command('backup <dir>')
    .description('write a backup folder: the database (SQLite: an online copy; PostgreSQL: pg_dump), the secrets key and a manifest (safe while the server runs)')
    .action(async (dir: string) => {
      await backup(config(), dir);
      process.stderr.write(`backup written to ${dir} (it holds the secrets key: store it as safely as the data dir)\n`);
    });
  program.command('restore <dir>')
    .description('restore a backup folder: SQLite into the data dir, PostgreSQL into database.url (stop every instance first)')
    .option('--force', 'replace an existing database')
    .action(async (dir: string, o: { force?: boolean }) => {
      const c = config();
      await restore(c, dir, { force: o.force ?? false });
      process.stderr.write(`restored ${dir} into ${c.dataDir}\n`);
    });
}
