// `dialbook backup <dir>` and `dialbook restore <dir>`: a backup is a folder holding everything a
// restore needs: an online copy of the database, the secrets key that opens the phone passwords
// sealed in it, and a manifest with checksums. Restore checks all of it before touching the data
// dir, so a broken or mismatched backup never replaces a working one.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SecretBox } from '../auth/secret-box.ts';
import { openSecrets } from '../bootstrap.ts';
import type { Config } from '../config/config-schema.ts';
import { DATABASE_FILE_NAME, databaseFile, openSqliteStore } from '../store/sqlite/sqlite-store.ts';

const FORMAT = 'dialbook-backup';
const DB = DATABASE_FILE_NAME;
const KEY = 'secret.key';
const MANIFEST = 'manifest.json';

interface Manifest {
  format: typeof FORMAT;
  version: 1;
  createdAt: string;
  files: Record<string, string>;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Writes a backup folder (must not exist or be empty). Safe while the server runs (SQLite online backup). */
export async function backup(config: Config, dir: string): Promise<Manifest> {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`Backup folder ${dir} is not empty; name a new folder`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = openSqliteStore(databaseFile(config));
  try {
    // Proves the key opens what the database holds before calling this a backup.
    openSecrets(config, store);
    await store.backup(join(dir, DB));
  } finally {
    store.close();
  }
  chmodSync(join(dir, DB), 0o600);
  writeFileSync(join(dir, KEY), readFileSync(SecretBox.keyFile(config)), { mode: 0o600 });
  const manifest: Manifest = { format: FORMAT, version: 1, createdAt: new Date().toISOString(), files: { [DB]: sha256(join(dir, DB)), [KEY]: sha256(join(dir, KEY)) } };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return manifest;
}

/**
 * Restores a backup folder into the configured data dir (and key file). Refuses a data dir that
 * already has a database unless `force` (stop the server first). The database is checked (checksums,
 * migrations, every sealed secret opened with the backed-up key) in a temporary file, then moved
 * into place.
 */
export function restore(config: Config, dir: string, opts: { force: boolean }): void {
  const manifestFile = join(dir, MANIFEST);
  if (!existsSync(manifestFile)) throw new Error(`${dir} is not a dialbook backup (no ${MANIFEST})`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  if (manifest.format !== FORMAT || manifest.version !== 1) throw new Error(`${manifestFile}: unknown backup format`);
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
    const store = openSqliteStore(tmpDb);
    try {
      openSecrets({ dataDir: config.dataDir, secretKeyFile: tmpKey }, store);
    } finally {
      store.close();
    }
    // An old WAL would be replayed into the restored file: it goes first. Each rename is atomic.
    for (const f of [`${target}-wal`, `${target}-shm`]) rmSync(f, { force: true });
    renameSync(tmpKey, keyFile);
    renameSync(tmpDb, target);
  } finally {
    cleanup();
  }
}

export function registerBackupCommands(program: Command, config: () => Config): void {
  program.command('backup <dir>')
    .description('write a backup folder: an online copy of the database, the secrets key and a manifest (safe while the server runs)')
    .action(async (dir: string) => {
      await backup(config(), dir);
      process.stderr.write(`backup written to ${dir} (it holds the secrets key: store it as safely as the data dir)\n`);
    });
  program.command('restore <dir>')
    .description('restore a backup folder into the data dir (stop the server first)')
    .option('--force', 'replace an existing database')
    .action((dir: string, o: { force?: boolean }) => {
      const c = config();
      restore(c, dir, { force: o.force ?? false });
      process.stderr.write(`restored ${dir} into ${c.dataDir}\n`);
    });
}
