// The read model answers every ContactQuery exactly like the SQLite store (same ids, same order,
// same totals), on a real database file, before and after changes reach it through the change
// feed: one-by-one edits, a batch big enough to take the merge path, group renames, users and
// personal contacts, and a region change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/directory/directory.ts';
import type { ContactSort } from '../../src/domain/contact-schemas.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import type { AsyncStore } from '../../src/store/async-store.ts';
import type { Criterion, Visibility } from '../../src/store/store.ts';
import { openSqliteAsyncStore } from '../../src/store/sqlite/sqlite-async-store.ts';

const FIRST = ['José', 'Jo', 'John', 'Joanna', 'Zoë', 'Ann', 'Ånn', 'Émile', 'Chen', '', 'Mary Ann', 'Jean-Luc'];
const LAST = ['Álvarez', 'Alvarez', 'Smith', 'Smithers', 'Müller', 'Mueller', 'Lee', '', 'O\'Brien', 'van Dijk', 'Jones', 'Jo'];
const COMPANY = ['', '', 'Acme & Sons', 'Globex', 'Jolly Co', 'Initech', 'Ærø Shipping'];
const GROUPS = [[], [], ['Suppliers'], ['suppliers', 'VIP'], ['VIP']];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function fakeInput(i: number, rand: () => number): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  let first = pick(FIRST);
  const last = pick(LAST);
  const company = pick(COMPANY);
  if (!first && !last && !company) first = 'Nobody';
  const line = String(1_000_000 + i * 7).slice(-7);
  return {
    firstName: first, lastName: last, company, title: i % 4 === 0 ? 'Sales Manager' : '',
    workNumber: i % 9 === 0 ? String(100 + (i % 50)) : `+1 (469) ${line.slice(0, 3)}-${line.slice(3)}`,
    mobileNumber: i % 3 === 0 ? `214-555-${String(i % 10000).padStart(4, '0')}` : '',
    homeNumber: i % 11 === 0 ? `+44 20 7946 ${String(i % 10000).padStart(4, '0')}` : '',
    email: i % 5 === 0 ? `p${i}@example.com` : '',
    groups: pick(GROUPS),
  };
}

const CRITERIA: Criterion[] = [
  { all: true },
  { none: true },
  { name: 'sortName', op: 'prefix', value: 'sm' },
  { name: 'sortName', op: 'prefix', value: 'ALV' },
  { name: 'sortName', op: 'eq', value: 'smith' },
  { name: 'sortName', op: 'gte', value: 'j' },
  { name: 'sortName', op: 'lte', value: 'lee' },
  { and: [{ name: 'sortName', op: 'gte', value: 'a' }, { name: 'sortName', op: 'lte', value: 'm' }] },
  { name: 'sortName', op: 'contains', value: 'll' },
  { name: 'sortName', op: 'suffix', value: 'ez' },
  { or: [{ name: 'displayName', op: 'prefix', value: 'jo' }, { name: 'sortName', op: 'prefix', value: 'jo' }] },
  { or: [{ name: 'displayName', op: 'prefix', value: 'j' }, { name: 'sortName', op: 'prefix', value: 'j' }] },
  { name: 'firstName', op: 'prefix', value: 'ann' },
  { name: 'firstName', op: 'eq', value: 'jo' },
  { name: 'lastName', op: 'eq', value: 'muller' },
  { name: 'lastName', op: 'eq', value: '' },
  { name: 'company', op: 'prefix', value: 'aer' },
  { name: 'company', op: 'present' },
  // display names of every shape (the odd contacts added in beforeAll)
  { name: 'displayName', op: 'prefix', value: 'mary a' },
  { name: 'displayName', op: 'prefix', value: 'Mary Ann J' },
  { name: 'displayName', op: 'prefix', value: 'jo sm' },
  { name: 'displayName', op: 'prefix', value: 'jo ' },
  { name: 'displayName', op: 'prefix', value: 'jean-luc' },
  { name: 'displayName', op: 'prefix', value: 'van' },
  { name: 'displayName', op: 'prefix', value: 'acme' },
  { name: 'displayName', op: 'prefix', value: 'ÆRØ' },
  { name: 'displayName', op: 'prefix', value: 'zoe m' },
  { name: 'displayName', op: 'eq', value: 'jo smith' },
  { name: 'displayName', op: 'eq', value: 'Mary Ann' },
  { name: 'displayName', op: 'eq', value: 'jo' },
  { name: 'displayName', op: 'eq', value: 'acme & sons' },
  { name: 'displayName', op: 'eq', value: "o'brien" },
  { name: 'displayName', op: 'eq', value: '' },
  { not: { name: 'displayName', op: 'prefix', value: 'j' } },
  { name: 'displayName', op: 'contains', value: 'ann' },
  { name: 'displayName', op: 'gte', value: 'm' },
  { name: 'firstName', op: 'lte', value: 'c' },
  { name: 'title', op: 'prefix', value: 'sales' },
  { name: 'email', op: 'suffix', value: 'example.com' },
  { words: 'sons' },
  { words: 'jo smi' },
  { number: 'work', op: 'eq', value: '(469) 100-0070' },
  { number: 'work', op: 'eq', value: '+14691000070' },
  { number: 'work', op: 'eq', value: '100' },
  { number: 'any', op: 'suffix', value: '0007' },
  { number: 'mobile', op: 'suffix', value: '5550003' },
  { number: 'home', op: 'present' },
  { number: 'any', op: 'contains', value: '555' },
  { number: 'extension', op: 'present' },
  { number: 'work', op: 'suffix', value: '' },
  { or: [{ number: 'work', op: 'suffix', value: '1000070' }, { number: 'mobile', op: 'suffix', value: '1000070' }] },
  { group: 'suppliers' },
  { group: 'VIP' },
  { group: 'nope' },
  { not: { group: 'VIP' } },
  { source: 'personal' },
  { and: [{ number: 'work', op: 'present' }, { name: 'sortName', op: 'prefix', value: 'smi' }] },
  { and: [{ name: 'sortName', op: 'prefix', value: 'j' }, { not: { name: 'firstName', op: 'prefix', value: 'jo' } }] },
];

const SORTS: ContactSort[] = ['name', '-name', 'lastName', '-lastName', 'firstName', '-firstName', 'company', '-company'];

let dir: string;
/** The SQL answers to compare with, the writes, and what the directory reads (its writes hint the directory). */
let store: AsyncStore;
let directory: Directory;
let ann: string;
let bob: string;

function visibilities(): Visibility[] {
  return [
    { shared: true, users: true, personalOf: null },
    { shared: true, users: false, personalOf: ann },
    { shared: false, users: false, personalOf: bob },
    { shared: false, users: false, personalOf: null },
  ];
}

/** Every criterion, visibility and a few pages: the same ids in the same order, and the same totals. */
async function expectSameAnswers(sorts: ContactSort[] = ['name', '-name'], directory: Directory = shared()): Promise<void> {
  let checked = 0;
  for (const where of CRITERIA) {
    for (const visibility of visibilities()) {
      for (const sort of sorts) {
        // the whole account once per criterion and visibility; pages for every sort
        for (const [limit, offset] of sort === 'name' ? [[50, 0], [7, 3], [1000, 0]] : [[50, 0], [7, 3]]) {
          const q = { visibility, where, sort, limit, offset, withTotal: true };
          const want = await store.queryContacts('acme', q);
          const got = await directory.queryContacts('acme', q);
          const label = JSON.stringify({ where, visibility, sort, limit, offset });
          expect(got.contacts.map((c) => c.id), label).toEqual(want.contacts.map((c) => c.id));
          expect(got.total, label).toBe(want.total);
          checked++;
        }
      }
    }
  }
  expect(checked).toBe(CRITERIA.length * 4 * (sorts.length * 2 + 1));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dialbook-directory-'));
  store = openSqliteAsyncStore(join(dir, 'dialbook.db'));
  const actor = { id: 'test' };
  await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
  await store.createAccount({ id: 'other', name: 'Other', region: 'US' }, actor);
  ann = (await store.createUser('acme', { username: 'ann', name: 'Ann Lee', scope: 'basic', extension: '1001', directNumber: '', email: '' }, actor)).id;
  bob = (await store.createUser('acme', { username: 'bob', name: 'Bob Smith', scope: 'basic', extension: '1002', directNumber: '', email: '' }, actor)).id;
  const rand = rng(5);
  const batch = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeInput(from + i, rand), 'US') }));
  await store.applyBatch('acme', { source: 'shared' }, batch(300, 0), actor);
  await store.applyBatch('acme', { source: 'personal', userId: ann }, batch(40, 1000), actor);
  await store.applyBatch('acme', { source: 'personal', userId: bob }, batch(40, 2000), actor);
  await store.applyBatch('other', { source: 'shared' }, batch(50, 3000), actor);
  // every shape of display name: company only, last name only, first name only, a first name of
  // two words, names that fold to nothing (a lone combining mark)
  const odd = [
    { company: 'Acme & Sons Display' }, { lastName: 'van Dijk-Display' }, { firstName: 'Mary Ann' },
    { firstName: 'Mary Ann', lastName: 'Jones' }, { firstName: '\u0301', lastName: 'Jo' },
    { firstName: '\u0301', company: 'Acme Folded' }, { firstName: '\u0301', lastName: '\u0301', company: 'Acme Marks' },
  ];
  await store.applyBatch('acme', { source: 'shared' }, odd.map((o, i) => ({ op: 'create' as const, contact: prepareContact({ ...o, workNumber: `+1 469 555 ${String(7000 + i)}` }, 'US') })), actor);
  // revisionCheckMs 0: every query reads the feed, so each test sees the writes before it (hinted too)
  directory = new Directory(store, { idleEvictMinutes: 60, revisionCheckMs: 0 });
});

afterAll(async () => {
  await directory.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const shared = () => directory;

describe('directory read model answers like the store', () => {
  it('for every criterion, visibility, page and sort', async () => {
    await expectSameAnswers(SORTS);
  }, 60_000);

  it('finds display names of every shape: company only, one name, two-word names, names that fold to nothing', async () => {
    const count = async (op: 'prefix' | 'eq', value: string) => (await store.queryContacts('acme', { visibility: { shared: true, users: true, personalOf: null }, where: { name: 'displayName', op, value }, limit: 1000 })).contacts.length;
    expect(await count('prefix', 'acme & sons d')).toBe(1); // company only
    expect(await count('prefix', 'van dijk-d')).toBe(1); // last name only
    expect(await count('eq', 'mary ann')).toBeGreaterThanOrEqual(1); // first name only, two words
    expect(await count('prefix', 'mary ann jo')).toBeGreaterThanOrEqual(1); // first name, then last name
    expect(await count('eq', 'jo')).toBeGreaterThanOrEqual(1); // includes the first name that folds to nothing
    expect(await count('prefix', 'acme folded')).toBe(0); // a name is present, so the company is not the display name
    expect(await count('eq', 'acme marks')).toBe(0);
    expect(await count('prefix', 'j')).toBeGreaterThan(await count('prefix', 'jo sm'));
    expect(await count('prefix', 'jo sm')).toBeGreaterThan(0);
  });

  it('when built in the build thread (read, folded and sorted off the event loop, handed over as columns)', async () => {
    const bg = new Directory(store, { idleEvictMinutes: 60, revisionCheckMs: 0, backgroundBuildMin: 1 });
    try {
      // the first query waits for the build
      expect((await bg.queryContacts('acme', { visibility: visibilities()[0], limit: 5 })).contacts).toHaveLength(5);
      await bg.settled('acme');
      expect(bg.counts.backgroundBuilds).toBe(1);
      expect(bg.loaded().acme).toBeGreaterThan(300);
      await expectSameAnswers(SORTS, bg);
      expect(bg.counts.backgroundBuilds).toBe(1);
    } finally {
      await bg.close();
    }
  }, 60_000);

  it('keeps accounts apart', async () => {
    const all = { visibility: { shared: true, users: true, personalOf: null }, limit: 1000 };
    const other = (await directory.queryContacts('other', all)).contacts;
    expect(other).toHaveLength(50);
    expect(other.every((c) => c.accountId === 'other')).toBe(true);
    const acmeIds = new Set((await directory.queryContacts('acme', all)).contacts.map((c) => c.id));
    expect(other.some((c) => acmeIds.has(c.id))).toBe(false);
    expect(await directory.getContactsByIds('other', [...acmeIds].slice(0, 5))).toEqual([]);
    expect(await directory.queryContacts('missing', all)).toEqual({ contacts: [], total: null });
  });

  it('after single edits, deletes and creates (applied in place)', async () => {
    const actor = { id: 'test' };
    const before = directory.loaded().acme;
    const builds = directory.counts.builds;
    const some = (await store.queryContacts('acme', { visibility: { shared: true, users: false, personalOf: null }, limit: 10 })).contacts;
    await store.updateContact('acme', { source: 'shared' }, some[0].id, prepareContact({ lastName: 'Aaronson', workNumber: '+1 469 999 0000', groups: ['VIP'] }, 'US'), actor);
    await store.deleteContact('acme', { source: 'shared' }, some[1].id, actor);
    const created = await store.createContact('acme', { source: 'personal', userId: ann }, prepareContact({ firstName: 'Jo', lastName: 'Smith', workNumber: '4691000070' }, 'US'), actor);
    await store.updateUser('acme', bob, { name: 'Robert Smith', extension: '1003' }, actor);
    await expectSameAnswers();
    expect(directory.loaded().acme).toBe(before); // one created, one deleted
    expect(directory.counts.builds).toBe(builds); // changes applied in place, no rebuild
    expect((await directory.getContactsByIds('acme', [created.id, some[1].id])).map((c) => c.id)).toEqual([created.id]);
    const renamed = await directory.queryContacts('acme', { visibility: { shared: true, users: false, personalOf: null }, where: { number: 'work', op: 'eq', value: '4699990000' } });
    expect(renamed.contacts.map((c) => c.lastName)).toEqual(['Aaronson']);
  }, 60_000);

  it('after a group rename and a batch big enough to be merged in one pass', async () => {
    const actor = { id: 'test' };
    const builds = directory.counts.builds;
    const vip = (await store.listGroups('acme')).find((g) => g.name === 'VIP')!;
    await store.renameGroup('acme', vip.id, 'Very Important', actor);
    const rand = rng(9);
    const shared = await store.allContacts('acme', { source: 'shared' });
    await store.applyBatch('acme', { source: 'shared' }, [
      ...shared.slice(0, 40).map((c) => ({ op: 'delete' as const, id: c.id })),
      ...shared.slice(40, 80).map((c, i) => ({ op: 'update' as const, id: c.id, contact: prepareContact(fakeInput(5000 + i, rand), 'US') })),
      ...Array.from({ length: 40 }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeInput(6000 + i, rand), 'US') })),
    ], actor);
    expect((await directory.queryContacts('acme', { visibility: { shared: true, users: true, personalOf: null }, where: { group: 'very important' }, limit: 1 })).contacts).toHaveLength(1);
    await expectSameAnswers();
    expect(directory.counts.builds).toBe(builds);
  }, 60_000);

  it('after a region change (rebuilt: numbers typed in national form now mean another country)', async () => {
    const builds = directory.counts.builds;
    await store.updateAccount('acme', { region: 'GB' }, { id: 'test' });
    await expectSameAnswers();
    const london = await directory.queryContacts('acme', { visibility: { shared: true, users: true, personalOf: null }, where: { number: 'home', op: 'eq', value: '020 7946 0000' }, limit: 5 });
    expect(london.contacts.length).toBeGreaterThan(0);
    expect(directory.counts.builds).toBe(builds + 1);
  }, 60_000);
});
