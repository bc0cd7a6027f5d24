// The migration that gives change rows their book (SQLite 12, PostgreSQL 4), over both engines:
// a token an app got before it (an account revision, rows without a book) stays valid, the rows
// of before count for every book, and from then on each book moves on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import { personalBook, SHARED_BOOK } from '../../../src/store/feed-books.ts';
import { KINDS, type ContractStore } from './stores.ts';
import { UNDO_BOOK_FEED } from './undo-book-feed.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const prep = (lastName: string) => prepareContact({ lastName, workNumber: '+1 469 429 3000' }, 'US');
const BACK = {
  sqlite: `${UNDO_BOOK_FEED.sqlite} PRAGMA user_version = 11;`,
  postgres: `${UNDO_BOOK_FEED.postgres} DELETE FROM dialbook_schema WHERE version >= 4;`,
};

for (const makeKind of KINDS) {
  const kind = makeKind();
  describe.skipIf(!kind.available())(`book feed migration: ${kind.name}`, () => {
    let store: ContractStore;
    beforeAll(async () => { await kind.setUp('bookfeed'); });
    afterAll(async () => { await kind.tearDown(); });

    it('keeps tokens of before valid and moves each book on its own from then on', async () => {
      store = await kind.open();
      await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      const ana = (await store.createUser('acme', { username: 'ana', name: 'Ana', scope: 'basic' }, actor)).id;
      const old = await store.createContact('acme', SHARED, prep('Before'), actor);
      const token = (await store.getAccountVersion('acme'))!.revision; // an account-wide token
      const gone = await store.createContact('acme', SHARED, prep('Gone later'), actor);
      await store.close();
      await kind.exec(BACK[kind.name]);

      store = await kind.open(); // migrates
      // rows of before name no book: every book may have changed after the token
      const shared = (await store.bookChangesSince('acme', SHARED_BOOK, token))!;
      expect(shared).toMatchObject({ all: false, changed: [gone.id], deleted: [] });
      const personal = (await store.bookChangesSince('acme', personalBook(ana), token))!;
      expect(personal.revision).toBe(shared.revision);
      expect(await store.bookChangesSince('acme', SHARED_BOOK, 0)).toMatchObject({ changed: expect.arrayContaining([old.id, gone.id]) });
      // new rows name their book
      await store.deleteContact('acme', SHARED, gone.id, actor);
      expect((await store.bookChangesSince('acme', personalBook(ana), null))!.revision).toBe(personal.revision);
      expect(await store.bookChangesSince('acme', SHARED_BOOK, shared.revision)).toMatchObject({ changed: [], deleted: [gone.id] });
    });
  });
}
