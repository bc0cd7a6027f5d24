// The migration that gives groups their folded key (SQLite 11, PostgreSQL 3), over both engines:
// a database an older dialbook wrote may hold groups that were two under the old rule (COLLATE
// NOCASE, lower()) and are one now ("Équipe" and "Equipe"). They merge into the oldest: its name
// stays, members move over (once each), the others go, and the members that moved are reported
// as changed under a new revision, so every read model and cache sees them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import { ConflictError } from '../../../src/errors.ts';
import { KINDS, type ContractStore } from './stores.ts';
import { UNDO_BOOK_FEED } from './undo-book-feed.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const EVERYONE = { shared: true, users: true, personalOf: null };
const prep = (lastName: string, groups: string[] = []) => prepareContact({ lastName, groups, workNumber: '+1 469 429 3000' }, 'US');

/** Takes the schema back to before the key: the migrations after it (the book feed) undone first. */
const BACK = {
  sqlite: `${UNDO_BOOK_FEED.sqlite}
    DROP INDEX groups_name_key; ALTER TABLE groups DROP COLUMN name_key;
    PRAGMA user_version = 10;`,
  postgres: `${UNDO_BOOK_FEED.postgres}
    DROP INDEX groups_name_key; ALTER TABLE groups DROP COLUMN name_key;
    CREATE UNIQUE INDEX groups_name ON groups(account_id, lower(name));
    DELETE FROM dialbook_schema WHERE version >= 3;`,
};

for (const makeKind of KINDS) {
  const kind = makeKind();
  describe.skipIf(!kind.available())(`group key migration: ${kind.name}`, () => {
    let store: ContractStore;
    beforeAll(async () => { await kind.setUp('groupkey'); });
    afterAll(async () => { await kind.tearDown(); });

    it('merges groups that fold to one name into the oldest, and reports the members that moved', async () => {
      store = await kind.open();
      await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      await store.createAccount({ id: 'globex', name: 'Globex', region: 'US' }, actor);
      const a = await store.createContact('acme', SHARED, prep('Alpha', ['Équipe']), actor);
      const b = await store.createContact('acme', SHARED, prep('Bravo', ['Équipe', 'VIP']), actor);
      const c = await store.createContact('acme', SHARED, prep('Charlie'), actor);
      const g = await store.createGroup('globex', 'Equipe', actor); // another account's: stays
      const before = (await store.getAccountVersion('acme'))!.revision;
      await store.close();

      await kind.exec(`${BACK[kind.name]}
        INSERT INTO groups (id, account_id, name, created_at) VALUES ('dup1', 'acme', 'Equipe', '2999-01-01T00:00:00.000Z');
        INSERT INTO groups (id, account_id, name, created_at) VALUES ('dup2', 'acme', 'Equipé', '2999-01-02T00:00:00.000Z');
        INSERT INTO contact_groups (contact_id, group_id, position) VALUES ('${b.id}', 'dup1', 2), ('${c.id}', 'dup1', 0), ('${c.id}', 'dup2', 1);`);

      store = await kind.open(); // migrates
      const groups = await store.listGroups('acme');
      expect(groups.map((x) => [x.name, x.contactCount])).toEqual([['Équipe', 3], ['VIP', 1]]);
      for (const x of [a, b, c]) expect((await store.getContact('acme', x.id, EVERYONE))!.groups, x.lastName).toContain('Équipe');
      expect((await store.getContact('acme', b.id, EVERYONE))!.groups).toEqual(['Équipe', 'VIP']);
      expect((await store.getContact('acme', c.id, EVERYONE))!.groups).toEqual(['Équipe']);
      const changes = (await store.changesSince('acme', before))!;
      expect(changes).toMatchObject({ deleted: [] });
      expect('changed' in changes ? [...changes.changed].sort() : changes).toEqual([b.id, c.id].sort());
      expect((await store.listGroups('globex')).map((x) => x.id)).toEqual([g.id]);
      // and the key holds from now on
      await expect(store.createGroup('acme', 'equipe', actor)).rejects.toBeInstanceOf(ConflictError);
      expect((await store.queryContacts('acme', { visibility: EVERYONE, where: { group: 'EQUIPE' } })).contacts).toHaveLength(3);
    });
  });
}
