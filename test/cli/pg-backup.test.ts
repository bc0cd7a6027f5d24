// `dialbook backup` is an engine command: on PostgreSQL the folder holds a pg_dump (custom
// format), the secrets key and a manifest naming the engine; restore answers such a folder with
// the pg_restore steps instead of treating it as a SQLite file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, restore } from '../../src/cli/backup-commands.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { StoreLocator } from '../../src/store/async-store.ts';
import { openStoreFor } from '../../src/store/open-store.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { requireProgram } from '../helpers/programs.ts';

describe.skipIf(!requirePostgres() || !requireProgram('pg_dump', 'postgresql-client'))('dialbook backup on PostgreSQL', () => {
  let server: TestPostgres;
  let locator: StoreLocator;
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-pg-backup-'));
  const config = loadConfig({ env: {}, overrides: { dataDir: join(dir, 'data'), log: { level: 'silent' } } });

  beforeAll(async () => {
    server = await startPostgres();
    mkdirSync(config.dataDir); // the server made it at its first start (it keeps the secrets key there)
    locator = { engine: 'postgres', url: await server.createDatabase('backed_up') };
    const db = await openStoreFor(locator);
    await db.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, { id: 'test' });
    await db.close();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a pg_dump, the key and a manifest naming the engine; restore points at pg_restore', async () => {
    const folder = join(dir, 'backup');
    const manifest = await backup(config, folder, locator);
    expect(manifest).toMatchObject({ engine: 'postgres', files: { 'dialbook.pgdump': expect.any(String), 'secret.key': expect.any(String) } });
    expect(readFileSync(join(folder, 'dialbook.pgdump')).subarray(0, 5).toString('latin1')).toBe('PGDMP'); // pg_dump's custom format
    expect(existsSync(join(folder, 'dialbook.db'))).toBe(false);
    await expect(restore(config, folder, { force: false })).rejects.toThrow(/is a postgres backup: restore it with `pg_restore/);
  }, 120_000);
});
