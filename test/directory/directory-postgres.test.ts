// The read model over PostgreSQL, two instances on one database: a write through instance A
// reaches instance B's read model by NOTIFY alone (B's clock stands still, so neither its safety
// poll nor a search's revision check falls due), applied in place; a settings change is rebuilt;
// a deleted account is forgotten (found by the safety poll once B's clock moves on: the
// PostgreSQL store sends no notification for a deletion). Needs a local PostgreSQL (skipped with a SKIP line
// otherwise, as the store contract suite does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/directory/directory.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const ALL = { visibility: { shared: true, users: true, personalOf: null }, limit: 100 };

/** Polls until cond() holds (the test's timeout bounds it): waiting for another instance, never a timing assertion. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 5));
}

describe.skipIf(!requirePostgres())('read model over PostgreSQL, two instances', () => {
  let server: TestPostgres;
  beforeAll(async () => { server = await startPostgres(); });
  afterAll(async () => { await server?.stop(); });

  it('shows instance A\'s writes in instance B\'s read model by notification alone', async () => {
    const url = await server.createDatabase('readmodel');
    const a = await openPostgresStore({ url, poolSize: 2 });
    const b = await openPostgresStore({ url, poolSize: 2 });
    let clock = 0;
    const d = new Directory(b, { idleEvictMinutes: 60, revisionCheckMs: 1000, now: () => clock });
    try {
      await a.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      await a.createContact('acme', SHARED, prepareContact({ lastName: 'Smith', workNumber: '+1 972 555 0110' }, 'US'), actor);
      await until(() => d.listening);
      await d.warmAll();
      const names = async () => (await d.queryContacts('acme', ALL)).contacts.map((c) => c.lastName);
      expect(await names()).toEqual(['Smith']);
      expect(d.counts.builds).toBe(1);

      const jones = await a.createContact('acme', SHARED, prepareContact({ lastName: 'Jones', workNumber: '+1 972 555 0111' }, 'US'), actor);
      await until(async () => (await names()).length === 2);
      expect(await names()).toEqual(['Jones', 'Smith']);
      await a.deleteContact('acme', SHARED, jones.id, actor);
      await until(async () => (await names()).length === 1);
      expect(d.counts).toMatchObject({ builds: 1, updates: 2 });

      // settings: the feed says "everything changed", and the model is read afresh
      await a.updateAccount('acme', { region: 'GB' }, actor);
      await until(() => d.counts.builds === 2);
      expect(await names()).toEqual(['Smith']);

      await a.deleteAccount('acme');
      clock = 5000; // the safety poll falls due
      await until(() => !('acme' in d.loaded()));
      expect((await d.queryContacts('acme', ALL)).contacts).toEqual([]);
    } finally {
      await d.close();
      await a.close();
      await b.close();
    }
  }, 60_000);
});
