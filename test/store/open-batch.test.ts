// A batch written in steps (the import thread's way): one transaction from openBatch to commit,
// invisible to other connections until then, undone whole by rollback, and with foreign keys
// back on afterwards (the batch runs without them and removes a contact's rows itself).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { NotFoundError } from '../../src/errors.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

const actor = { id: 'test', batchId: 'b-1' };
const SHARED = { source: 'shared' } as const;
const ALL = { visibility: { shared: true, users: false, personalOf: null } };
let dir: string;
let writer: Store; // the import thread's own connection
let reader: Store; // everyone else's

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dialbook-open-batch-'));
  writer = openSqliteStore(join(dir, 'db.sqlite'));
  reader = openSqliteStore(join(dir, 'db.sqlite'));
  writer.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
  writer.createAccount({ id: 'gone', name: 'Gone', region: 'US' }, actor);
});
afterAll(() => { writer.close(); reader.close(); rmSync(dir, { recursive: true, force: true }); });

let n = 0;
const prep = (last: string, groups: string[] = []) => prepareContact({ lastName: last, workNumber: `+1 469 429 ${String(3000 + n++)}`, groups }, 'US');
const byNumber = (store: Store, digits: string) =>
  store.queryContacts('acme', { ...ALL, where: { number: 'any', op: 'suffix', value: digits } }).contacts.map((c) => c.lastName);

describe('openBatch', () => {
  it('is seen by other connections only once committed, whole', () => {
    const revision = reader.getAccountVersion('acme')?.revision;
    const batch = writer.openBatch('acme', SHARED, actor);
    batch.apply([{ op: 'create', contact: prep('Kim', ['Suppliers']) }, { op: 'create', contact: prep('Abel') }]);
    expect(reader.allContacts('acme', SHARED)).toHaveLength(0);
    batch.apply([{ op: 'create', contact: prep('Moss', ['Suppliers']) }]);
    expect(writer.allContacts('acme', SHARED)).toHaveLength(3); // its own connection sees the batch
    expect(reader.allContacts('acme', SHARED)).toHaveLength(0);
    const result = batch.commit();
    expect(result.created).toHaveLength(3);
    expect(reader.allContacts('acme', SHARED).map((c) => c.lastName)).toEqual(['Abel', 'Kim', 'Moss']);
    expect(reader.getAccountVersion('acme')?.revision).toBe(revision! + 1);
    expect(reader.listGroups('acme').find((g) => g.name === 'Suppliers')?.contactCount).toBe(2);
    expect(reader.listAudit('acme', { limit: 10 }).filter((e) => e.action === 'contact.create')).toHaveLength(3);
  });

  it('rolls back every step, and the connection writes normally afterwards', () => {
    const before = reader.allContacts('acme', SHARED).length;
    const batch = writer.openBatch('acme', SHARED, actor);
    batch.apply([{ op: 'create', contact: prep('Never') }]);
    batch.rollback();
    batch.rollback(); // a second call does nothing
    expect(() => batch.apply([])).toThrow(/already committed or rolled back/);
    expect(reader.allContacts('acme', SHARED)).toHaveLength(before);
    writer.createContact('acme', SHARED, prep('After'), actor);
    expect(reader.allContacts('acme', SHARED)).toHaveLength(before + 1);
  });

  it('deletes a contact with its numbers and group memberships, though foreign keys are off', () => {
    const moss = reader.allContacts('acme', SHARED).find((c) => c.lastName === 'Moss')!;
    const digits = moss.numbers[0].digits.slice(-7);
    expect(byNumber(reader, digits)).toEqual(['Moss']);
    const batch = writer.openBatch('acme', SHARED, actor);
    batch.apply([{ op: 'delete', id: moss.id }]);
    batch.commit();
    expect(byNumber(reader, digits)).toEqual([]);
    expect(reader.listGroups('acme').find((g) => g.name === 'Suppliers')?.contactCount).toBe(1);
  });

  it('refuses an account that does not exist, and foreign keys are on again after every batch', () => {
    expect(() => writer.openBatch('nobody', SHARED, actor)).toThrow(NotFoundError);
    const batch = writer.openBatch('gone', SHARED, actor);
    batch.apply([{ op: 'create', contact: prep('Doomed', ['Old']) }]);
    batch.commit();
    expect(writer.allContacts('gone', SHARED)).toHaveLength(1);
    // deleting the account cascades to its contacts only with foreign keys on (per connection)
    writer.deleteAccount('gone');
    expect(reader.allContacts('gone', SHARED)).toHaveLength(0);
    expect(writer.allContacts('acme', SHARED).length).toBeGreaterThan(0);
  });
});
