// The contact change feed against a real SQLite file: every kind of write shows up, deletions
// are reported once, other accounts never appear, and pruned or settings-wide changes restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dialbook-feed-'));
  store = openSqliteStore(join(dir, 'db.sqlite'));
  store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
  store.createAccount({ id: 'globex', name: 'Globex', region: 'US' }, actor);
});
afterAll(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

let n = 0;
const prep = (input: object) => prepareContact({ workNumber: `+1 469 429 ${String(2000 + n++)}`, ...input }, 'US');

describe('contact change feed', () => {
  it('reports creates, updates, batches, group renames and deletes, and nothing of other accounts', () => {
    const start = store.contactChangePoint('acme');
    const a = store.createContact('acme', SHARED, prep({ lastName: 'Ames', groups: ['Suppliers'] }), actor);
    const b = store.createContact('acme', SHARED, prep({ lastName: 'Bell' }), actor);
    store.createContact('globex', SHARED, prep({ lastName: 'Elsewhere' }), actor);
    const first = store.contactChangesSince('acme', start)!;
    expect(first.changed.sort()).toEqual([a.id, b.id].sort());
    expect(first.deleted).toEqual([]);
    expect(first.upTo).toBe(store.contactChangePoint('acme'));

    store.updateContact('acme', SHARED, b.id, prep({ lastName: 'Bellamy' }), actor);
    expect(store.contactChangesSince('acme', first.upTo)).toMatchObject({ changed: [b.id], deleted: [] });

    const point = store.contactChangePoint('acme');
    const group = store.listGroups('acme').find((g) => g.name === 'Suppliers')!;
    store.renameGroup('acme', group.id, 'Vendors', actor);
    expect(store.contactChangesSince('acme', point)).toMatchObject({ changed: [a.id], deleted: [] });

    const beforeDelete = store.contactChangePoint('acme');
    store.deleteContact('acme', SHARED, a.id, actor);
    const afterDelete = store.contactChangesSince('acme', beforeDelete)!;
    expect(afterDelete).toMatchObject({ changed: [], deleted: [a.id] });

    const beforeBatch = store.contactChangePoint('acme');
    const res = store.applyBatch('acme', SHARED, [
      { op: 'create', contact: prep({ lastName: 'Cole' }) },
      { op: 'delete', id: b.id },
    ], actor);
    const batch = store.contactChangesSince('acme', beforeBatch)!;
    expect(batch.changed).toEqual(res.created);
    expect(batch.deleted).toEqual([b.id]);
    expect(store.contactChangesSince('acme', batch.upTo)).toEqual({ upTo: batch.upTo, changed: [], deleted: [] });
  });

  // New contacts are logged by the writer, not by an insert trigger (migration 5): every path
  // that inserts one must still show up, exactly once, and only in its own account.
  it('reports new contacts from every insert path: single, batch with groups, internal users', () => {
    const start = store.contactChangePoint('acme');
    const single = store.createContact('acme', SHARED, prep({ lastName: 'Dunn', groups: ['Partners'] }), actor);
    const res = store.applyBatch('acme', SHARED, [
      { op: 'create', contact: prep({ lastName: 'Zeta', groups: ['Partners', 'Vendors'] }) },
      { op: 'create', contact: prep({ lastName: 'Alpha' }) },
    ], actor);
    const user = store.createUser('acme', { username: 'feeduser', name: 'Fay Eed', scope: 'basic', extension: '1099' }, actor);
    store.applyBatch('globex', SHARED, [{ op: 'create', contact: prep({ lastName: 'Other' }) }], actor);
    const seen = store.contactChangesSince('acme', start)!;
    expect(seen.deleted).toEqual([]);
    expect(seen.changed).toHaveLength(4);
    expect(new Set(seen.changed)).toEqual(new Set([single.id, ...res.created, user.id]));
    // the batch's new contacts are all there, with their groups
    const names = store.getContactsByIds('acme', res.created).map((c) => [c.lastName, c.groups.sort()]);
    expect(names.sort()).toEqual([['Alpha', []], ['Zeta', ['Partners', 'Vendors']]]);
  });

  // A batch whose new contacts are at least half of the account logs one account-wide change
  // (readers start over) instead of a row per contact; smaller ones, and any batch of fewer than
  // 1,000 new contacts, are reported contact by contact (many rows to an INSERT).
  it('reports a big import as one change of the whole account, a smaller one contact by contact', () => {
    store.createAccount({ id: 'bulk', name: 'Bulk', region: 'US' }, actor);
    const creates = (count: number, tag: string) => Array.from({ length: count }, (_, i) => ({ op: 'create' as const, contact: prep({ lastName: `${tag} ${i}` }) }));

    const p0 = store.contactChangePoint('bulk');
    const first = store.applyBatch('bulk', SHARED, creates(1200, 'First'), actor);
    expect(first.created).toHaveLength(1200);
    expect(store.contactChangesSince('bulk', p0)).toBeNull();
    expect(store.contactChangeCount('bulk', p0)).toBeNull();
    const p1 = store.contactChangePoint('bulk');
    expect(p1).toBeGreaterThan(p0);
    expect(store.contactChangesSince('bulk', p1)).toEqual({ upTo: p1, changed: [], deleted: [] });

    // 1,100 more into 1,200 stored: less than half of the account, so one row each
    const second = store.applyBatch('bulk', SHARED, creates(1100, 'Second'), actor);
    const seen = store.contactChangesSince('bulk', p1)!;
    expect(seen.changed).toHaveLength(1100);
    expect(new Set(seen.changed)).toEqual(new Set(second.created));

    // a small batch into a small account: still contact by contact
    const p2 = store.contactChangePoint('bulk');
    const third = store.applyBatch('bulk', SHARED, creates(3, 'Third'), actor);
    expect(store.contactChangesSince('bulk', p2)!.changed.sort()).toEqual([...third.created].sort());

    // the open batch (import thread) decides at commit, the same way
    const p3 = store.contactChangePoint('bulk');
    const batch = store.openBatch('bulk', SHARED, actor);
    batch.apply(creates(1500, 'Fourth').slice(0, 700));
    batch.apply(creates(1500, 'Fifth').slice(0, 800));
    expect(store.contactChangePoint('bulk')).toBe(p3); // nothing logged before the commit
    expect(batch.commit().created).toHaveLength(1500);
    expect(store.contactChangesSince('bulk', p3)!.changed).toHaveLength(1500);
    const p4 = store.contactChangePoint('bulk');
    const big = store.openBatch('bulk', SHARED, actor);
    big.apply(creates(4000, 'Sixth'));
    big.commit();
    expect(store.contactChangesSince('bulk', p4)).toBeNull();
    expect(store.countAccountContacts('bulk')).toBe(1200 + 1100 + 3 + 1500 + 4000);
    // other accounts are not touched by it
    expect(store.contactChangesSince('acme', store.contactChangePoint('acme'))).toMatchObject({ changed: [], deleted: [] });
  });

  it('asks for a fresh start after a settings change and after pruning', () => {
    const point = store.contactChangePoint('acme');
    const acme = store.getAccount('acme')!;
    const a = store.createContact('acme', SHARED, prep({ lastName: 'Counted' }), actor);
    store.updateContact('acme', SHARED, a.id, prep({ lastName: 'Counted Twice' }), actor);
    expect(store.contactChangeCount('acme', point)).toBe(2); // rows, not contacts
    const beforeSettings = store.contactChangePoint('acme');
    store.updateAccount('acme', { settings: { ...acme.settings, nameFormat: acme.settings.nameFormat === 'first_last' ? 'last_first' : 'first_last' } }, actor);
    expect(store.contactChangesSince('acme', point)).toBeNull();
    expect(store.contactChangeCount('acme', point)).toBeNull();
    expect(store.contactChangeCount('acme', store.contactChangePoint('acme'))).toBe(0);
    expect(beforeSettings).toBeLessThan(store.contactChangePoint('acme'));

    const later = store.contactChangePoint('globex');
    expect(store.pruneChangeLog(Math.floor(Date.now() / 1000) + 10)).toBeGreaterThan(0);
    expect(store.contactChangesSince('globex', later - 1)).toBeNull();
    expect(store.contactChangeCount('globex', later - 1)).toBeNull();
    // A reader that saw everything before the prune carries on.
    const c = store.createContact('globex', SHARED, prep({ lastName: 'New' }), actor);
    expect(store.contactChangesSince('globex', later)).toMatchObject({ changed: [c.id] });
  });

  it('deletes an account with contacts and groups, and forgets its changes', () => {
    store.createAccount({ id: 'gone', name: 'Gone', region: 'US' }, actor);
    store.createContact('gone', SHARED, prep({ lastName: 'Temp', groups: ['Doomed'] }), actor);
    expect(store.contactChangePoint('gone')).toBeGreaterThan(0);
    store.deleteAccount('gone');
    expect(store.getAccount('gone')).toBeNull();
    expect(store.contactChangesSince('gone', 0)).toEqual({ upTo: 0, changed: [], deleted: [] });
  });
});
