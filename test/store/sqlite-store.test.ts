// The SQLite store against a real file: writes, indexed searches, visibility and atomicity.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store, Visibility } from '../../src/store/store.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const ALL: Visibility = { shared: true, users: true, personalOf: null };
let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dialbook-store-'));
  store = openSqliteStore(join(dir, 'db.sqlite'));
  store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
  store.createAccount({ id: 'globex', name: 'Globex', region: 'DE' }, actor);
});
afterAll(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

const add = (account: string, input: object) =>
  store.createContact(account, SHARED, prepareContact(input, store.getAccount(account)!.region), actor);

describe('sqlite store', () => {
  it('normalises numbers and finds them by any format, by tail, and never across accounts', () => {
    const c = add('acme', { firstName: 'José', lastName: 'Álvarez', workNumber: '+1 (469) 429-2500', groups: ['Suppliers'] });
    add('globex', { lastName: 'Other', workNumber: '+1 (469) 429-2500' });
    expect(c.numbers[0]).toMatchObject({ kind: 'work', e164: '+14694292500', digits: '14694292500' });
    for (const value of ['4694292500', '+14694292500', '1-469-429-2500']) {
      const page = store.queryContacts('acme', { visibility: ALL, where: { number: 'any', op: 'eq', value } });
      expect(page.contacts.map((x) => x.id)).toEqual([c.id]);
    }
    const tail = store.queryContacts('acme', { visibility: ALL, where: { number: 'work', op: 'suffix', value: '4292500' } });
    expect(tail.contacts.map((x) => x.id)).toEqual([c.id]);
    expect(store.queryContacts('acme', { visibility: ALL, where: { number: 'mobile', op: 'suffix', value: '4292500' } }).contacts).toEqual([]);
  });

  it('matches names case- and accent-insensitively by prefix and by word', () => {
    const byPrefix = store.queryContacts('acme', { visibility: ALL, where: { name: 'firstName', op: 'prefix', value: 'jose' } });
    expect(byPrefix.contacts.map((x) => x.lastName)).toEqual(['Álvarez']);
    const byWord = store.queryContacts('acme', { visibility: ALL, where: { words: 'alv' } });
    expect(byWord.contacts).toHaveLength(1);
    const inner = add('acme', { company: 'Álvarez & Sons Plumbing', workNumber: '2145550142' });
    const byInnerWord = store.queryContacts('acme', { visibility: ALL, where: { words: 'SONS plum' } });
    expect(byInnerWord.contacts.map((x) => x.id)).toEqual([inner.id]);
    store.deleteContact('acme', SHARED, inner.id, actor);
    expect(store.queryContacts('acme', { visibility: ALL, where: { words: 'sons' } }).contacts).toEqual([]);
    expect(store.queryContacts('acme', { visibility: ALL, where: { group: 'suppliers' } }).contacts).toHaveLength(1);
  });

  it('bumps the account revision on writes and refuses a stale revision without changing anything', () => {
    const before = store.getAccountVersion('acme')?.revision!;
    const c = add('acme', { company: 'Widgets Inc', workNumber: '2125550100' });
    expect(store.getAccountVersion('acme')?.revision).toBe(before + 1);
    const next = prepareContact({ company: 'Widgets LLC', workNumber: '2125550100' }, 'US');
    expect(() => store.updateContact('acme', SHARED, c.id, next, actor, c.revision + 5)).toThrow(/changed/);
    expect(store.getContact('acme', c.id, ALL)!.company).toBe('Widgets Inc');
    const updated = store.updateContact('acme', SHARED, c.id, next, actor, c.revision);
    expect(updated.company).toBe('Widgets LLC');
    expect(updated.revision).toBe(c.revision + 1);
  });

  it('rolls a whole batch back when one op fails', () => {
    const count = () => store.queryContacts('acme', { visibility: ALL, withTotal: true }).total;
    const before = count();
    const ok = prepareContact({ lastName: 'Batch', workNumber: '1001' }, 'US');
    expect(() => store.applyBatch('acme', SHARED, [{ op: 'create', contact: ok }, { op: 'delete', id: 'missing' }], actor)).toThrow();
    expect(count()).toBe(before);
  });

  it('creates 200,000 contacts in one batch (their ids were spread into one push and overflowed the stack)', () => {
    store.createAccount({ id: 'huge', name: 'Huge', region: 'US' }, actor);
    const one = prepareContact({ lastName: 'Many', workNumber: '+1 469 555 0100' }, 'US');
    const result = store.applyBatch('huge', SHARED, Array.from({ length: 200_000 }, () => ({ op: 'create' as const, contact: one })), actor);
    expect(result.created).toHaveLength(200_000);
    expect(new Set(result.created).size).toBe(200_000);
    expect(store.countAccountContacts('huge')).toBe(200_000);
  }, 60_000);

  it('keeps personal contacts private to their owner and users in the directory', () => {
    const u = store.createUser('acme', { username: 'ann', name: 'Ann Lee', scope: 'basic', extension: '1001' }, actor);
    const mine = store.createContact('acme', { source: 'personal', userId: u.id }, prepareContact({ firstName: 'Mom', mobileNumber: '2145550199' }, 'US'), actor);
    expect(store.getContact('acme', mine.id, ALL)).toBeNull();
    expect(store.getContact('acme', mine.id, { shared: false, users: false, personalOf: u.id })).not.toBeNull();
    const ext = store.queryContacts('acme', { visibility: ALL, where: { number: 'work', op: 'eq', value: '1001' } });
    expect(ext.contacts.map((x) => [x.source, x.lastName])).toContainEqual(['user', 'Lee']);
    expect(store.getContact('globex', mine.id, { shared: true, users: true, personalOf: u.id })).toBeNull();
  });

  it('deleting a group keeps its contacts', () => {
    const g = store.listGroups('acme').find((x) => x.name === 'Suppliers')!;
    expect(g.contactCount).toBe(1);
    store.deleteGroup('acme', g.id, actor);
    expect(store.queryContacts('acme', { visibility: ALL, where: { words: 'alvarez' } }).contacts[0].groups).toEqual([]);
    expect(store.listAudit('acme', { limit: 1 })[0].action).toBe('group.delete');
  });
});
