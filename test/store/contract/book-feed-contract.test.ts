// The change feed of one address book (AsyncBookFeed.bookChangesSince, issue 20) over both
// engines: a change moves only the revision of the book it touched, a change of every entry is
// `all` (with its deletions) instead of "start over", and pruning ends only the tokens of books
// whose changes were pruned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import type { BatchOp } from '../../../src/store/async-store.ts';
import { personalBook, SHARED_BOOK, USERS_BOOK } from '../../../src/store/feed-books.ts';
import { KINDS, type ContractStore } from './stores.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
let n = 0;
const prep = (input: object) => prepareContact({ workNumber: `+1 469 429 ${String(1000 + (n++ % 9000))}`, ...input }, 'US');
const creates = (count: number, tag: string): BatchOp[] => Array.from({ length: count }, (_, i) => ({ op: 'create', contact: prep({ lastName: `${tag} ${i}` }) }));

for (const makeKind of KINDS) {
  const kind = makeKind();
  describe.skipIf(!kind.available())(`book feed contract: ${kind.name}`, () => {
    let store: ContractStore;
    let ana: string;
    let PERSONAL: { source: 'personal'; userId: string };
    const rev = async (book: string, account = 'acme') => (await store.bookChangesSince(account, book, null))!.revision;

    beforeAll(async () => {
      await kind.setUp('book-feed');
      store = await kind.open();
      await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      ana = (await store.createUser('acme', { username: 'ana', name: 'Ana', scope: 'basic', extension: '201' }, actor)).id;
      PERSONAL = { source: 'personal', userId: ana };
    });
    afterAll(async () => { await kind.tearDown(); });

    it('moves only the revision of the book a change touched, and reports only that book', async () => {
      const personal = await rev(personalBook(ana));
      const users = await rev(USERS_BOOK);
      const shared0 = await rev(SHARED_BOOK);
      const c = await store.createContact('acme', SHARED, prep({ lastName: 'Shared one' }), actor);
      const shared1 = await rev(SHARED_BOOK);
      expect(shared1).toBeGreaterThan(shared0);
      expect(await rev(personalBook(ana))).toBe(personal);
      expect(await rev(USERS_BOOK)).toBe(users);
      // the personal book from its revision: nothing, and its revision stays
      expect(await store.bookChangesSince('acme', personalBook(ana), personal)).toMatchObject({ revision: personal, all: false, changed: [], deleted: [] });
      expect(await store.bookChangesSince('acme', SHARED_BOOK, shared0)).toMatchObject({ revision: shared1, all: false, changed: [c.id], deleted: [] });

      const p = await store.createContact('acme', PERSONAL, prep({ lastName: 'Mine' }), actor);
      expect(await rev(SHARED_BOOK)).toBe(shared1);
      expect(await store.bookChangesSince('acme', personalBook(ana), personal)).toMatchObject({ changed: [p.id], deleted: [] });
      await store.deleteContact('acme', PERSONAL, p.id, actor);
      expect(await store.bookChangesSince('acme', personalBook(ana), personal)).toMatchObject({ changed: [], deleted: [p.id] });
      expect(await rev(SHARED_BOOK)).toBe(shared1);

      await store.updateUser('acme', ana, { extension: '299' }, actor);
      expect(await rev(USERS_BOOK)).toBeGreaterThan(users);
      expect(await rev(SHARED_BOOK)).toBe(shared1);
      expect((await store.bookChangesSince('acme', USERS_BOOK, users))!.changed).toEqual([ana]);
    });

    it('moves the books of a renamed group\'s members only', async () => {
      const g = await store.createGroup('acme', 'Partners', actor);
      const member = await store.createContact('acme', PERSONAL, prep({ lastName: 'Partner', groups: ['Partners'] }), actor);
      const shared = await rev(SHARED_BOOK);
      const personal = await rev(personalBook(ana));
      await store.renameGroup('acme', g.id, 'Allies', actor);
      expect(await rev(SHARED_BOOK)).toBe(shared);
      expect(await store.bookChangesSince('acme', personalBook(ana), personal)).toMatchObject({ changed: [member.id] });
    });

    it('reports a big import as the whole book with its deletions, and a settings change in every book, never "start over"', async () => {
      await store.createAccount({ id: 'big', name: 'Big', region: 'US' }, actor);
      const bob = (await store.createUser('big', { username: 'bob', name: 'Bob', scope: 'basic' }, actor)).id;
      const old = await store.createContact('big', SHARED, prep({ lastName: 'Old' }), actor);
      const shared = await rev(SHARED_BOOK, 'big');
      const personal = await rev(personalBook(bob), 'big');
      // a replace-style import: deletes one card and creates most of the account
      await store.importContacts('big', SHARED, [[{ op: 'delete', id: old.id }, ...creates(1200, 'Bulk')]], actor);
      const after = (await store.bookChangesSince('big', SHARED_BOOK, shared))!;
      expect(after.all).toBe(true);
      expect(after.deleted).toEqual([old.id]);
      expect(after.revision).toBe((await store.getAccountVersion('big'))!.revision);
      expect(await rev(personalBook(bob), 'big')).toBe(personal);
      expect(await store.bookChangesSince('big', personalBook(bob), personal)).toMatchObject({ all: false, changed: [], deleted: [] });

      const before = after.revision;
      await store.updateAccount('big', { settings: { nameFormat: 'last_first' } }, actor);
      for (const book of [SHARED_BOOK, USERS_BOOK, personalBook(bob)]) {
        const ch = (await store.bookChangesSince('big', book, Math.min(before, personal)))!;
        expect(ch.all, book).toBe(true);
        expect(ch.revision, book).toBe((await store.getAccountVersion('big'))!.revision);
      }
    });

    it('ends only the tokens of books whose changes were pruned; unknown revisions and accounts are null', async () => {
      await store.createAccount({ id: 'prune', name: 'Prune', region: 'US' }, actor);
      const cy = (await store.createUser('prune', { username: 'cy', name: 'Cy', scope: 'basic' }, actor)).id;
      const personal = await rev(personalBook(cy), 'prune');
      const shared = await rev(SHARED_BOOK, 'prune');
      await store.createContact('prune', SHARED, prep({ lastName: 'Old' }), actor);
      expect(await store.pruneChangeLog(Math.floor(Date.now() / 1000) + 60)).toBeGreaterThan(0);
      expect(await store.bookChangesSince('prune', SHARED_BOOK, shared)).toBeNull();
      // the personal book was not touched by what was pruned: its token stays valid, its revision too
      expect(await store.bookChangesSince('prune', personalBook(cy), personal)).toMatchObject({ revision: personal, all: false, changed: [], deleted: [] });
      const now = await rev(SHARED_BOOK, 'prune');
      expect(await store.bookChangesSince('prune', SHARED_BOOK, now)).toMatchObject({ revision: now, changed: [] });

      const top = (await store.getAccountVersion('prune'))!.revision;
      expect(await store.bookChangesSince('prune', SHARED_BOOK, top + 1)).toBeNull();
      expect(await store.bookChangesSince('no-such-account', SHARED_BOOK, null)).toBeNull();
    });
  });
}
