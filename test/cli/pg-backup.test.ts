// `dialbook backup` is an engine command: on PostgreSQL the folder holds a pg_dump (custom
// format), the secrets key and a manifest naming the engine; `dialbook restore` puts it into the
// database database.url names (refusing one that holds dialbook already, unless --force), all or
// nothing, and the key where secretKeyFile points.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/auth/secret-box.ts';
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
    const box = SecretBox.fromFile(SecretBox.keyFile(config), { create: true });
    await db.setPhoneCredentials('acme', { username: 'phones', secretSealed: box.seal('phone-secret-1'), pathToken: 'path-token-0123456789' }, { id: 'test' });
    await db.close();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a pg_dump, the key and a manifest naming the engine; restore puts them into database.url, refusing a dialbook database without --force', async () => {
    const folder = join(dir, 'backup');
    const manifest = await backup(config, folder, locator);
    expect(manifest).toMatchObject({ engine: 'postgres', files: { 'dialbook.pgdump': expect.any(String), 'secret.key': expect.any(String) } });
    expect(readFileSync(join(folder, 'dialbook.pgdump')).subarray(0, 5).toString('latin1')).toBe('PGDMP'); // pg_dump's custom format
    expect(existsSync(join(folder, 'dialbook.db'))).toBe(false);
    // without database.url a restore says where to put it
    await expect(restore(config, folder, { force: false })).rejects.toThrow(/is a postgres backup: set database.url/);

    // into an empty database: the account, its phone credentials opened by the restored key
    const url = await server.createDatabase('restored');
    const target = loadConfig({ env: {}, overrides: { dataDir: join(dir, 'data2'), log: { level: 'silent' }, database: { url } } });
    await restore(target, folder, { force: false });
    const db = await openStoreFor({ engine: 'postgres', url });
    try {
      expect((await db.listAccounts()).map((a) => a.id)).toEqual(['acme']);
      const sealed = (await db.getPhoneCredentials('acme'))!.secretSealed;
      expect(SecretBox.fromFile(SecretBox.keyFile(target), { create: false }).open(sealed)).toBe('phone-secret-1');
    } finally {
      await db.close();
    }
    // not over a database that holds dialbook already, unless --force
    await expect(restore(target, folder, { force: false })).rejects.toThrow(/already holds dialbook's tables/);
    await restore(target, folder, { force: true });
  }, 120_000);
});
