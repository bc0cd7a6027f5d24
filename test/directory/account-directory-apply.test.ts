// Changes applied to a model in place (one or two: positions moved in the typed arrays; up to 64:
// the indexes spliced as lists; more: merged) answer exactly like a model built afresh from the
// same contacts: the compact indexes (issue 24) must never drift from directory order.
import { describe, expect, it } from 'vitest';
import type { Account } from '../../src/domain/account-schemas.ts';
import type { Contact } from '../../src/domain/contact-schemas.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { AccountDirectory } from '../../src/directory/account-directory.ts';
import type { Criterion } from '../../src/store/store.ts';
import { fakeContact, rng } from '../../bench/lib/fake-contacts.ts';

const account = { id: 'acme', name: 'Acme', region: 'US' } as Account;
const rand = rng(3);
let nextId = 0;

function contact(i: number): Contact {
  const p = prepareContact(fakeContact(i, rand), 'US');
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id: `c-${String(nextId++).padStart(5, '0')}`, accountId: 'acme', source: 'shared', userId: null,
    ...p.fields, groups: p.fields.groups, numbers: p.numbers, createdAt: at, createdBy: null, updatedAt: at, updatedBy: null, revision: 1,
  };
}

const criteria: Criterion[] = [
  { name: 'lastName', op: 'prefix', value: 'ma' },
  { name: 'firstName', op: 'eq', value: 'josé' },
  { name: 'displayName', op: 'prefix', value: 'li' },
  { name: 'company', op: 'prefix', value: 'a' },
  { name: 'sortName', op: 'prefix', value: 'b' },
  { number: 'any', op: 'suffix', value: '00' },
  { number: 'work', op: 'eq', value: '+1 (205) 100-0005' },
  { group: 'suppliers' },
];

function answers(dir: AccountDirectory, ids: string[]) {
  const visibility = { shared: true, users: false, personalOf: null };
  return {
    criteria: criteria.map((where) => dir.query({ visibility, where, limit: 10_000, withTotal: true })).map((p) => [p.total, p.entries.map((e) => e.id)]),
    byId: ids.map((id) => dir.entryById(id)?.contact ?? null),
    all: dir.query({ visibility, limit: 10_000 }).entries.map((e) => e.contact),
  };
}

describe('account directory changes', () => {
  for (const count of [1, 2, 5, 64, 200]) {
    it(`${count} change(s) at once answer like a fresh build`, () => {
      let contacts = Array.from({ length: 1500 }, (_, i) => contact(i));
      const dir = new AccountDirectory(contacts, account, 'inc', 1);
      // a few rounds: deletions, edits (a new name and number under the same id) and creations
      for (let round = 0; round < 3; round++) {
        const deleted = contacts.filter((_, i) => i % 97 === round).slice(0, Math.ceil(count / 3)).map((c) => c.id);
        const edited = contacts.filter((c, i) => i % 89 === round + 1 && !deleted.includes(c.id)).slice(0, Math.ceil(count / 3))
          .map((c) => ({ ...contact(5000 + round), id: c.id }));
        const created = Array.from({ length: Math.max(0, count - deleted.length - edited.length) }, (_, i) => contact(9000 + round * 300 + i));
        const changed = [...edited, ...created];
        dir.apply(changed, deleted);
        const byId = new Map(contacts.map((c) => [c.id, c]));
        for (const id of deleted) byId.delete(id);
        for (const c of changed) byId.set(c.id, c);
        contacts = [...byId.values()];
      }
      const fresh = new AccountDirectory(contacts, account, 'inc', 1);
      const ids = [...contacts.slice(0, 50).map((c) => c.id), 'c-nope'];
      const got = answers(dir, ids);
      const want = answers(fresh, ids);
      expect(got.all).toEqual(want.all);
      expect(got.byId).toEqual(want.byId);
      // the same entries, found through each index (directory order decides; ties by insertion order may differ after edits)
      got.criteria.forEach(([total, found], i) => {
        expect(total, JSON.stringify(criteria[i])).toBe(want.criteria[i][0]);
        expect(new Set(found as string[]), JSON.stringify(criteria[i])).toEqual(new Set(want.criteria[i][1] as string[]));
      });
      expect(got.criteria.some(([total]) => (total as number) > 0)).toBe(true);
    });
  }
});
