// The contract suite's part for paged queries (queryContacts, queryContactRefs), over both
// engines: every kind of Criterion (the query language of all front ends), visibility, each sort,
// offset and keyset paging, totals. The same data and the same expected answers for both: the
// PostgreSQL translation (postgres/pg-criterion.ts) must mean what sqlite/criterion-sql.ts means.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactSort } from '../../../src/domain/contact-schemas.ts';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import { ValidationError } from '../../../src/errors.ts';
import type { ContactQuery } from '../../../src/store/async-store.ts';
import type { Criterion } from '../../../src/store/store.ts';
import { KINDS, type ContractStore } from './stores.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
/** Shared contacts and users' entries: not the personal contacts of anyone (visibility is tested on its own below). */
const ALL = { shared: true, users: true, personalOf: null };

const PEOPLE = [
  { firstName: 'Ana', lastName: 'Álvarez', company: 'Acme Supplies', workNumber: '(214) 555-0101', groups: ['Suppliers'] },
  { firstName: 'Bruno', lastName: 'Baker', company: 'Bakery Inc', workNumber: '(214) 555-0102', mobileNumber: '(469) 555-7788', email: 'bruno@bakery.example' },
  { firstName: 'Chloé', lastName: 'Cole', title: 'Buyer', workNumber: '+44 20 7946 0958', groups: ['suppliers', 'VIP'] },
  { firstName: 'Dan', lastName: 'Dunn', company: 'Acme Supplies', workNumber: '(214) 555-0104', faxNumber: '(214) 555-0199' },
  { company: 'Zeta Logistics', workNumber: '(972) 555-0105' },
  { firstName: 'Eve', lastName: 'Evans', homeNumber: '(214) 555-0106' },
];

for (const makeKind of KINDS) {
  const kind = makeKind();
  describe.skipIf(!kind.available())(`store contract, queries: ${kind.name}`, () => {
    let store: ContractStore;
    const id: Record<string, string> = {};
    let userId = '';
    let personalId = '';
    const last = async (where: Criterion, extra: Partial<ContactQuery> = {}) =>
      (await store.queryContacts('acme', { visibility: ALL, where, ...extra })).contacts.map((c) => c.lastName || c.company);

    beforeAll(async () => {
      await kind.setUp('queries');
      store = await kind.open();
      await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      await store.createAccount({ id: 'globex', name: 'Globex', region: 'US' }, actor);
      for (const p of PEOPLE) {
        const c = await store.createContact('acme', SHARED, prepareContact(p, 'US'), actor);
        id[p.lastName ?? p.company] = c.id;
      }
      await store.createContact('globex', SHARED, prepareContact({ lastName: 'Baker', workNumber: '(214) 555-0102' }, 'US'), actor);
      const user = await store.createUser('acme', { username: 'frank', name: 'Frank Fisher', scope: 'basic', extension: '2104' }, actor);
      userId = user.id;
      personalId = (await store.createContact('acme', { source: 'personal', userId }, prepareContact({ lastName: 'Private', workNumber: '(214) 555-0107' }, 'US'), actor)).id;
    });
    afterAll(async () => { await kind.tearDown(); });

    it('matches names folded, by prefix, equality, suffix, substring, range and presence', async () => {
      expect(await last({ name: 'lastName', op: 'prefix', value: 'al' })).toEqual(['Álvarez']);
      expect(await last({ name: 'lastName', op: 'eq', value: 'ALVAREZ' })).toEqual(['Álvarez']);
      expect(await last({ name: 'firstName', op: 'eq', value: 'chloe' })).toEqual(['Cole']);
      expect(await last({ name: 'lastName', op: 'suffix', value: 'ns' })).toEqual(['Evans']);
      expect(await last({ name: 'company', op: 'contains', value: 'supp' })).toEqual(['Álvarez', 'Dunn']);
      expect(await last({ name: 'title', op: 'present' })).toEqual(['Cole']);
      expect(await last({ name: 'email', op: 'prefix', value: 'bruno@' })).toEqual(['Baker']);
      expect(await last({ name: 'displayName', op: 'eq', value: 'dan dunn' })).toEqual(['Dunn']);
      expect(await last({ name: 'displayName', op: 'eq', value: 'zeta logistics' })).toEqual(['Zeta Logistics']);
      expect(await last({ name: 'sortName', op: 'eq', value: 'baker' })).toEqual(['Baker']);
      expect(await last({ name: 'sortName', op: 'prefix', value: 'z' })).toEqual(['Zeta Logistics']);
      expect(await last({ name: 'sortName', op: 'gte', value: 'e' })).toEqual(['Evans', 'Fisher', 'Zeta Logistics']);
      expect(await last({ name: 'sortName', op: 'lte', value: 'baker' })).toEqual(['Álvarez', 'Baker']);
      expect(await last({ name: 'sortName', op: 'contains', value: 'unn' })).toEqual(['Dunn']);
      expect(await last({ name: 'lastName', op: 'gte', value: 'p' }, { visibility: { shared: true, users: false, personalOf: null } })).toEqual([]);
      expect(await last({ words: 'acm sup' })).toEqual(['Álvarez', 'Dunn']);
      expect(await last({ words: 'bak' })).toEqual(['Baker']);
    });

    it('matches numbers normalised in the account region: whole, tail, digits inside, by kind', async () => {
      expect(await last({ number: 'any', op: 'eq', value: '214-555-0102' })).toEqual(['Baker']);
      expect(await last({ number: 'any', op: 'eq', value: '+12145550102' })).toEqual(['Baker']);
      expect(await last({ number: 'mobile', op: 'eq', value: '469 555 7788' })).toEqual(['Baker']);
      expect(await last({ number: 'work', op: 'eq', value: '469 555 7788' })).toEqual([]);
      expect(await last({ number: 'any', op: 'suffix', value: '0958' })).toEqual(['Cole']);
      expect(await last({ number: 'any', op: 'contains', value: '555-01' })).toEqual(['Álvarez', 'Baker', 'Dunn', 'Evans', 'Zeta Logistics']);
      expect(await last({ number: 'fax', op: 'present' })).toEqual(['Dunn']);
      expect(await last({ number: 'work', op: 'eq', value: '2104' })).toEqual(['Fisher']); // a user's extension is an office number
      expect(await last({ number: 'extension', op: 'present' })).toEqual(['Fisher']);
      expect(await last({ number: 'any', op: 'eq', value: 'no digits' })).toEqual([]);
    });

    it('combines criteria, and matches groups regardless of case, ids and sources; visibility decides what is seen', async () => {
      expect(await last({ group: 'SUPPLIERS' })).toEqual(['Álvarez', 'Cole']);
      expect(await last({ and: [{ group: 'suppliers' }, { not: { name: 'company', op: 'present' } }] })).toEqual(['Cole']);
      expect(await last({ or: [{ id: id.Evans }, { source: 'user' }] })).toEqual(['Evans', 'Fisher']);
      expect(await last({ none: true })).toEqual([]);
      expect(await last({ and: [] })).toHaveLength(7);
      expect(await last({ all: true }, { visibility: { shared: false, users: false, personalOf: userId } })).toEqual(['Private']);
      expect(await last({ all: true }, { visibility: { shared: false, users: false, personalOf: null } })).toEqual([]);
      expect(await last({ id: personalId }, { visibility: { shared: true, users: true, personalOf: 'someone-else' } })).toEqual([]);
      expect(await last({ all: true }, { visibility: { shared: true, users: false, personalOf: null } })).toEqual(['Álvarez', 'Baker', 'Cole', 'Dunn', 'Evans', 'Zeta Logistics']);
    });

    it('sorts each way, pages by offset and by keyset cursor alike, counts totals, and gives the same page as refs', async () => {
      const sorts: Record<ContactSort, string[]> = {
        name: ['Álvarez', 'Baker', 'Cole', 'Dunn', 'Evans', 'Fisher', 'Zeta Logistics'],
        '-name': ['Zeta Logistics', 'Fisher', 'Evans', 'Dunn', 'Cole', 'Baker', 'Álvarez'],
        lastName: ['Zeta Logistics', 'Álvarez', 'Baker', 'Cole', 'Dunn', 'Evans', 'Fisher'],
        '-lastName': ['Fisher', 'Evans', 'Dunn', 'Cole', 'Baker', 'Álvarez', 'Zeta Logistics'],
        firstName: ['Zeta Logistics', 'Álvarez', 'Baker', 'Cole', 'Dunn', 'Evans', 'Fisher'],
        '-firstName': ['Fisher', 'Evans', 'Dunn', 'Cole', 'Baker', 'Álvarez', 'Zeta Logistics'],
        company: ['Cole', 'Evans', 'Fisher', 'Álvarez', 'Dunn', 'Baker', 'Zeta Logistics'],
        '-company': ['Zeta Logistics', 'Baker', 'Dunn', 'Álvarez', 'Fisher', 'Evans', 'Cole'],
        // creation order (ties within a millisecond break on insertion order)
        updatedAt: ['Álvarez', 'Baker', 'Cole', 'Dunn', 'Zeta Logistics', 'Evans', 'Fisher'],
        '-updatedAt': ['Fisher', 'Evans', 'Zeta Logistics', 'Dunn', 'Cole', 'Baker', 'Álvarez'],
      };
      for (const [sort, expected] of Object.entries(sorts) as [ContactSort, string[]][]) {
        const all = await last({ all: true }, { sort, limit: 100 });
        expect(all, sort).toEqual(expected);
        // offset pages and keyset pages give the same sequence
        const byOffset: string[] = [];
        for (let offset = 0; offset < all.length; offset += 3) byOffset.push(...await last({ all: true }, { sort, limit: 3, offset }));
        const byCursor: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.queryContacts('acme', { visibility: ALL, sort, limit: 3, after, withTotal: true });
          expect(page.total).toBe(7);
          byCursor.push(...page.contacts.map((c) => c.lastName || c.company));
          const refs = await store.queryContactRefs('acme', { visibility: ALL, sort, limit: 3, after });
          expect(refs).toEqual(page.contacts.map((c) => ({ id: c.id, revision: c.revision })));
          if (!page.nextAfter) break;
          after = page.nextAfter;
        }
        expect(byOffset, sort).toEqual(all);
        expect(byCursor, sort).toEqual(all);
      }
      const page = await store.queryContacts('acme', { visibility: ALL, where: { name: 'company', op: 'present' }, limit: 2, withTotal: true });
      expect(page.total).toBe(4);
      expect(page.contacts[0]).toMatchObject({ lastName: 'Álvarez', groups: ['Suppliers'], numbers: [expect.objectContaining({ e164: '+12145550101' })] });
      await expect(store.queryContacts('acme', { visibility: ALL, sort: 'name', after: 'not-a-cursor' })).rejects.toBeInstanceOf(ValidationError);
      const other = (await store.queryContacts('acme', { visibility: ALL, sort: 'name', limit: 1 })).nextAfter!;
      await expect(store.queryContacts('acme', { visibility: ALL, sort: 'lastName', after: other })).rejects.toBeInstanceOf(ValidationError);
    });
  });
}
