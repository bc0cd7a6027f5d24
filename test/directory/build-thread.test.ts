// A large account's read model is built in the build thread (issue 24: off the event loop), on a
// store connection of that thread's own, and handed over as columns: the model it gives must be
// the one a build on this thread makes from the same data (same entries field by field, same
// indexes, same groups, same answers), on SQLite and on PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountDirectory } from '../../src/directory/account-directory.ts';
import { readAccountModel } from '../../src/directory/account-read.ts';
import { buildInThread } from '../../src/directory/build-thread.ts';
import { INDEXED_NAMES } from '../../src/directory/name-index.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import type { AsyncStore } from '../../src/store/async-store.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openSqliteAsyncStore } from '../../src/store/sqlite/sqlite-async-store.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const actor = { id: 'test' };
const FIRST = ['José', 'Jo', 'John', 'Zoë', 'Ann', '', 'Mary Ann'];
const LAST = ['Álvarez', 'Smith', 'Müller', 'Lee', '', 'O\'Brien', 'van Dijk'];
const COMPANY = ['', 'Acme & Sons', 'Globex', 'Ærø Shipping'];
const GROUPS = [[], ['Suppliers'], ['suppliers', 'VIP'], ['VIP']];

function input(i: number): Record<string, unknown> {
  const first = FIRST[i % FIRST.length];
  const last = LAST[(i * 3) % LAST.length];
  const company = COMPANY[(i * 5) % COMPANY.length] || (first || last ? '' : 'Nobody Inc');
  const line = String(1_000_000 + ((i * 7919) % 1_000_000)).slice(-7);
  return {
    firstName: first, lastName: last, company, title: i % 4 === 0 ? 'Sales Manager' : '',
    workNumber: i % 9 === 0 ? String(100 + (i % 50)) : `+1 (469) ${line.slice(0, 3)}-${line.slice(3)}`,
    mobileNumber: i % 3 === 0 ? `214-555-${String(i % 10000).padStart(4, '0')}` : '',
    email: i % 5 === 0 ? `p${i}@example.com` : '', groups: GROUPS[i % GROUPS.length],
  };
}

/** An account of shared and personal contacts and internal users: more than one chunk crosses (CHUNK is 4,096). */
async function seed(store: AsyncStore): Promise<void> {
  await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
  const ann = (await store.createUser('acme', { username: 'ann', name: 'Ann Lee', scope: 'basic', extension: '1001', directNumber: '', email: '' }, actor)).id;
  const ops = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ op: 'create' as const, contact: prepareContact(input(from + i), 'US') }));
  await store.applyBatch('acme', { source: 'shared' }, ops(9000, 0), actor);
  await store.applyBatch('acme', { source: 'personal', userId: ann }, ops(300, 20_000), actor);
}

/** Everything a model holds that answers depend on, as plain data. */
function picture(d: AccountDirectory) {
  return {
    entries: d.entries.map((e) => ({ ...e })),
    names: Object.fromEntries(INDEXED_NAMES.map((f) => [f, [...d.names['positions'][f]]])),
    numbers: { positions: [...d.numbers['positions']], slots: [...d.numbers['slots']] },
    groups: [...d.groups].map(([g, members]) => [g, members.map((e) => e.pos)]),
    owners: new Set(d.entries.map((e) => e.owner)).size,
    account: d.account, incarnation: d.incarnation, revision: d.revision,
  };
}

async function expectSameModel(store: AsyncStore): Promise<void> {
  const here = await readAccountModel(store, 'acme', { limit: Infinity, wanted: () => true, pause: () => Promise.resolve() });
  if (typeof here === 'string') throw new Error(here);
  const mine = new AccountDirectory(here.prepared, here.account, here.incarnation, here.revision);
  const theirs = await buildInThread(store.locator, 'acme', () => true);
  if (typeof theirs === 'string') throw new Error(theirs);
  expect(theirs.size).toBe(9301);
  expect(picture(theirs)).toEqual(picture(mine));
  const visibility = { shared: true, users: true, personalOf: null };
  for (const where of [{ name: 'lastName', op: 'prefix', value: 'sm' }, { number: 'any', op: 'suffix', value: '5550003' }, { group: 'vip' }] as const) {
    const q = { visibility, where, limit: 20, withTotal: true };
    expect(theirs.query(q).entries.map((e) => e.contact)).toEqual(mine.query(q).entries.map((e) => e.contact));
  }
  // a change applied to both in place gives the same model again
  const changed = (await store.queryContacts('acme', { visibility, limit: 3 })).contacts.map((c) => ({ ...c, lastName: 'Changed', revision: c.revision + 1 }));
  for (const d of [mine, theirs]) d.apply(changed, []);
  expect(picture(theirs)).toEqual(picture(mine));
  expect(await buildInThread(store.locator, 'missing', () => true)).toBe('no account');
}

describe('a model built in the build thread', () => {
  let dir: string;
  let store: AsyncStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dialbook-build-thread-'));
    store = openSqliteAsyncStore(join(dir, 'dialbook.db'));
    await seed(store);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('equals one built on this thread from the same SQLite data', async () => {
    await expectSameModel(store);
  }, 60_000);
});

describe.skipIf(!requirePostgres())('a model built in the build thread over PostgreSQL', () => {
  let server: TestPostgres;
  let store: AsyncStore;
  beforeAll(async () => {
    server = await startPostgres();
    store = await openPostgresStore({ url: await server.createDatabase('buildthread'), poolSize: 2 });
    await seed(store);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('equals one built on this thread from the same PostgreSQL data', async () => {
    await expectSameModel(store);
  }, 60_000);
});
