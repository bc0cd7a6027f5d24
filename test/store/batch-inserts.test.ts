// A batch's new contacts are written by statements whose SQL holds what the batch shares
// (account, owner, actor, time, batch id): those values must land exactly as bound values
// would, quotes included, and match what a single create writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { sqlLiteral } from '../../src/store/sqlite/database.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

const ACCOUNT = "o'neil-co";
let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dialbook-batch-'));
  store = openSqliteStore(join(dir, 'db.sqlite'));
  store.createAccount({ id: ACCOUNT, name: "O'Neil & Co", region: 'US' }, { id: 'setup' });
});
afterAll(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

const contact = (i: number, extra: object = {}) =>
  prepareContact({ firstName: `Ann'${i}`, lastName: 'Lee', workNumber: `+1 469 429 ${2000 + i}`, groups: ['Suppliers'], ...extra }, 'US');

describe('batch inserts', () => {
  it('write the shared values into SQL exactly as a bound value, quotes and all', () => {
    const db = new Database(':memory:');
    for (const v of ["plain", "o'neil", "''", "a'b'c'", "\\'; DROP TABLE x; --", 'ünï ☎ 名前', '', "\u0001'\uFFFD"]) {
      expect(db.prepare(`SELECT ${sqlLiteral(v)} AS v`).get()).toEqual({ v });
    }
    expect(db.prepare(`SELECT ${sqlLiteral(null)} AS v`).get()).toEqual({ v: null });
    expect(() => sqlLiteral('a\0b')).toThrow(/NUL/);
    db.close();
  });

  it('give new contacts and their audit entries the same values a single create gives', () => {
    const actor = { id: "user:o'brien", batchId: "batch'1" };
    const single = store.createContact(ACCOUNT, { source: 'shared' }, contact(0), actor);
    const ops = Array.from({ length: 250 }, (_, i) => ({ op: 'create' as const, contact: contact(i + 1, i % 2 ? { title: "Buyer's agent" } : {}) }));
    const { created } = store.applyBatch(ACCOUNT, { source: 'shared' }, ops, actor);
    expect(created).toHaveLength(250);

    const all = store.allAccountContacts(ACCOUNT);
    expect(all).toHaveLength(251);
    const byName = new Map(all.map((c) => [c.firstName, c]));
    for (const [i, op] of ops.entries()) {
      const c = byName.get(`Ann'${i + 1}`)!;
      expect(c).toMatchObject({ ...op.contact.fields, accountId: ACCOUNT, source: 'shared', userId: null, createdBy: actor.id, updatedBy: actor.id, revision: 1 });
      expect(c.createdAt).toBe(c.updatedAt);
    }
    const batchRow = byName.get("Ann'1")!;
    const pick = (c: typeof single) => ({ source: c.source, userId: c.userId, createdBy: c.createdBy, updatedBy: c.updatedBy, revision: c.revision, groups: c.groups, numbers: c.numbers.map((n) => n.kind) });
    expect(pick(batchRow)).toEqual(pick(single));

    const audit = store.listAudit(ACCOUNT, { limit: 1000 }).filter((e) => e.action === 'contact.create');
    expect(audit).toHaveLength(251);
    const entry = audit.find((e) => e.targetId === batchRow.id)!;
    expect(entry).toMatchObject({ accountId: ACCOUNT, actor: actor.id, batchId: actor.batchId, before: null, after: ops[0].contact.fields });
    expect(entry.at).toBe(batchRow.createdAt);
    // the single create's entry, for comparison: same actor and batch, its own time
    expect(audit.find((e) => e.targetId === single.id)).toMatchObject({ actor: actor.id, batchId: actor.batchId, after: contact(0).fields });
    // searchable by the values the batch wrote
    expect(store.queryContacts(ACCOUNT, { visibility: { shared: true, users: false, personalOf: null }, where: { name: 'firstName', op: 'prefix', value: "ann'12" }, limit: 50 }).contacts.map((c) => c.firstName).sort())
      .toEqual(["Ann'12", "Ann'120", "Ann'121", "Ann'122", "Ann'123", "Ann'124", "Ann'125", "Ann'126", "Ann'127", "Ann'128", "Ann'129"]);
  });

  it("write a personal batch as its owner's contacts, seen only by them", () => {
    const user = store.createUser(ACCOUNT, { username: "d'arcy", name: "D'Arcy", scope: 'basic', extension: '1001' }, { id: 'setup' });
    const ops = [0, 1, 2].map((i) => ({ op: 'create' as const, contact: contact(900 + i) }));
    const { created } = store.applyBatch(ACCOUNT, { source: 'personal', userId: user.id }, ops, { id: user.id });
    const mine = store.getContactsByIds(ACCOUNT, created);
    expect(mine.map((c) => [c.source, c.userId, c.createdBy])).toEqual(created.map(() => ['personal', user.id, user.id]));
    const page = (personalOf: string | null) =>
      store.queryContacts(ACCOUNT, { visibility: { shared: false, users: false, personalOf }, where: { all: true }, limit: 50 }).contacts.length;
    expect(page(user.id)).toBe(3);
    expect(page('someone-else')).toBe(0);
  });

  it('leave nothing behind when a row fails half-way through a many-row insert (the batch rolls back)', () => {
    const numbers = (db: Database.Database) => (db.prepare('SELECT count(*) AS n FROM contact_numbers').get() as { n: number }).n;
    const db = new Database(join(dir, 'db.sqlite'));
    // one new contact's number is refused by SQLite itself, after other rows of the batch went in
    db.exec(`CREATE TRIGGER refuse_number BEFORE INSERT ON contact_numbers WHEN NEW.digits = '14694293150'
      BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`);
    const contactsBefore = store.allAccountContacts(ACCOUNT).length;
    const numbersBefore = numbers(db);
    const ops = Array.from({ length: 300 }, (_, i) => ({ op: 'create' as const, contact: contact(1000 + i) }));
    expect(() => store.applyBatch(ACCOUNT, { source: 'shared' }, ops, { id: 'test' })).toThrow(/refused for the test/);
    const open = store.openBatch(ACCOUNT, { source: 'shared' }, { id: 'test' });
    try {
      expect(() => open.apply(ops)).toThrow(/refused for the test/);
    } finally {
      open.rollback();
    }
    expect(store.allAccountContacts(ACCOUNT)).toHaveLength(contactsBefore);
    expect(numbers(db)).toBe(numbersBefore);
    db.exec('DROP TRIGGER refuse_number');
    db.close();
    // and the same batch goes in whole once nothing refuses it
    expect(store.applyBatch(ACCOUNT, { source: 'shared' }, ops, { id: 'test' }).created).toHaveLength(300);
  });
});
