// PostgreSQL's part of `dialbook backup` and `dialbook restore`: the database is dumped with
// PostgreSQL's own pg_dump (custom format) and restored with pg_restore in one transaction; the
// secrets key is handled by backup-commands.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the restore instructions point (also printed when pg_dump is missing). */
export const PG_RESTORE_HINT = 'restore it with `dialbook restore <dir>` and database.url set, or by hand with '
  + '`pg_restore --single-transaction --clean --if-exists --no-owner --dbname <database URL> dialbook.pgdump` '
  + 'and secret.key put where secretKeyFile points (default <dataDir>/secret.key)';

/** The URL without its password, and the password for PGPASSWORD (never on a command line). */
function split(url: string): { target: URL; env: NodeJS.ProcessEnv } {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = '';
  return { target, env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/**
 * Restores a pg_dump file into the database at `url`, all or nothing (--single-transaction with
 * --exit-on-error: a failure leaves the database as it was). `replace`: drop what the dump
 * holds first (--clean --if-exists), for a database that already has dialbook's tables.
 */
export async function pgRestore(url: string, fromFile: string, replace: boolean): Promise<void> {
  const { target, env } = split(url);
  const args = ['--single-transaction', '--exit-on-error', '--no-owner', ...(replace ? ['--clean', '--if-exists'] : []), '--dbname', target.toString(), fromFile];
  try {
    await run('pg_restore', args, { env, maxBuffer: 16 << 20 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('pg_restore was not found: install the PostgreSQL client (Debian: postgresql-client)');
    }
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`pg_restore failed on ${target.host}; the database is unchanged: ${stderr || (err as Error).message}`);
  }
}

/**
 * Dumps the database at `url` into `toFile`. The password goes to pg_dump in its environment
 * (PGPASSWORD), not on its command line, where every user of the machine could read it.
 */
export async function pgDump(url: string, toFile: string): Promise<void> {
  const { target, env } = split(url);
  try {
    await run('pg_dump', ['--format=custom', '--no-owner', '--file', toFile, '--dbname', target.toString()], { env, maxBuffer: 16 << 20 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('pg_dump was not found: install the PostgreSQL client (Debian: postgresql-client). '
        + 'A backup of a PostgreSQL installation is a pg_dump of its database plus the secrets key');
    }
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`pg_dump failed on ${target.host}: ${stderr || (err as Error).message}`);
  }
}
