// The import and export threads are handed a database locator, not a SQLite file: on PostgreSQL
// they open a pool of their own from the URL. A large import through the threads lands whole, a
// bad row late in the file leaves nothing and no revision behind, and the export reads it back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { runExportThread } from '../../src/spreadsheet/export-thread.ts';
import { runImportThread } from '../../src/spreadsheet/import-thread.ts';
import type { StoreLocator } from '../../src/store/async-store.ts';
import { openStoreFor, type ThreadStore } from '../../src/store/open-store.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const ROWS = 3_000;
const SHARED = { source: 'shared' } as const;

describe.skipIf(!requirePostgres())('import and export threads on PostgreSQL', () => {
  let server: TestPostgres;
  let locator: StoreLocator;
  let db: ThreadStore;
  const limits = loadConfig({ env: {} }).import;
  const job = (options: Record<string, unknown>) => ({ accountId: 'pg', contentType: 'text/csv', options, actor: { id: 'test' }, limits });
  const csv = (bad: boolean) => {
    const lines = ['First Name,Last Name,Work Number,Groups'];
    for (let i = 1; i <= ROWS; i++) lines.push(`F${i},L${i},+1 469 555 ${String(i).padStart(4, '0')},${i % 10 ? '' : 'Tenth'}`);
    if (bad) lines.push('Bad,Row,call me maybe,');
    return Buffer.from(lines.join('\n'));
  };

  beforeAll(async () => {
    server = await startPostgres();
    locator = { engine: 'postgres', url: await server.createDatabase('threads') };
    db = await openStoreFor(locator);
    await db.createAccount({ id: 'pg', name: 'PG', region: 'US' }, { id: 'test' });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it('imports in the thread in one transaction, or nothing, and exports what it wrote', async () => {
    const revision = (await db.getAccountVersion('pg'))!.revision;
    await expect(runImportThread(locator, job({}), csv(true))).rejects.toThrow(/Nothing was imported: 1 of 3001 rows are invalid/);
    expect(await db.countAccountContacts('pg')).toBe(0);
    expect((await db.getAccountVersion('pg'))!.revision).toBe(revision);

    const report = await runImportThread(locator, job({ onError: 'skip' }), csv(true));
    expect(report).toMatchObject({ written: true, counts: { created: ROWS, skipped: 1 } });
    expect(await db.countAccountContacts('pg')).toBe(ROWS);
    expect((await db.getAccountVersion('pg'))!.revision).toBe(revision + 1);

    const file = await runExportThread(locator, 'pg', { format: 'csv', group: 'tenth' });
    expect(file.count).toBe(ROWS / 10);
    // the export is the import template: re-imported (upsert), every row is unchanged
    const again = await runImportThread(locator, { ...job({ mode: 'upsert' }) }, file.body);
    expect(again).toMatchObject({ written: false, counts: { unchanged: ROWS / 10, created: 0, updated: 0 } });
    expect((await db.getAccountVersion('pg'))!.revision).toBe(revision + 1);
  }, 120_000);
});
