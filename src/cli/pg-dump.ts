// PostgreSQL's part of `dialbook backup`: the database is dumped with PostgreSQL's own pg_dump
// (custom format, restored with pg_restore); the secrets key is added by backup-commands.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the restore instructions point (also printed when pg_dump is missing). */
export const PG_RESTORE_HINT = 'restore it with `pg_restore --clean --if-exists --no-owner --dbname <database URL> dialbook.pgdump` '
  + 'and put secret.key where secretKeyFile points (default <dataDir>/secret.key)';

/**
 * Dumps the database at `url` into `toFile`. The password goes to pg_dump in its environment
 * (PGPASSWORD), not on its command line, where every user of the machine could read it.
 */
export async function pgDump(url: string, toFile: string): Promise<void> {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = '';
  try {
    await run('pg_dump', ['--format=custom', '--no-owner', '--file', toFile, '--dbname', target.toString()], {
      env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('pg_dump was not found: install the PostgreSQL client (Debian: postgresql-client). '
        + 'A backup of a PostgreSQL installation is a pg_dump of its database plus the secrets key');
    }
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`pg_dump failed on ${target.host}: ${stderr || (err as Error).message}`);
  }
}
