// A group card's write (AsyncCardStore.writeGroupCard, issue 20) over both engines: the card and
// its group's membership change in one transaction; a contact is in the group exactly when the
// card names it; a rename moves the members, a delete lets them go; a stale revision changes
// nothing; contacts outside the book are left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import { PreconditionFailedError } from '../../../src/errors.ts';
import { KINDS, type ContractStore } from './stores.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const EVERYONE = (userId: string) => ({ shared: true, users: true, personalOf: userId });
const prep = (lastName: string, groups: string[] = []) => prepareContact({ lastName, groups, workNumber: '+1 469 429 3000' }, 'US');
const groupCard = (name: string) => ({ ...prepareContact({ lastName: name }, 'US'), vcard: `BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:${name}\r\nEND:VCARD\r\n` });

for (const makeKind of KINDS) {
  const kind = makeKind();
  describe.skipIf(!kind.available())(`group cards: ${kind.name}`, () => {
    let store: ContractStore;
    let userId: string;
    const groupsOf = async (id: string) => (await store.getContact('acme', id, EVERYONE(userId)))?.groups;
    beforeAll(async () => {
      await kind.setUp('group-cards');
      store = await kind.open();
      await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      userId = (await store.createUser('acme', { username: 'ana', name: 'Ana', scope: 'basic', extension: '201' }, actor)).id;
    });
    afterAll(async () => { await kind.tearDown(); });

    it('keeps the members the card names, moves them on a rename, lets them go on a delete, all or nothing', async () => {
      const a = await store.createContact('acme', SHARED, prep('Alpha', ['VIP']), actor);
      const b = await store.createContact('acme', SHARED, prep('Bravo'), actor);
      const mine = await store.createContact('acme', { source: 'personal', userId }, prep('Personal'), actor);

      let card = (await store.writeGroupCard('acme', SHARED, {
        target: { create: { name: 'family.vcf', uid: 'family' } }, card: groupCard('Family'), group: 'Family', previous: null, members: [a.id, mine.id],
      }, actor))!;
      expect(card.numbers).toEqual([]);
      expect(await groupsOf(a.id)).toEqual(['VIP', 'Family']);
      expect(await groupsOf(b.id)).toEqual([]);
      expect(await groupsOf(mine.id)).toEqual([]); // another book's contact: left alone
      expect((await store.storedVcards('acme', [card.id])).get(card.id)).toContain('KIND:group');

      card = (await store.writeGroupCard('acme', SHARED, {
        target: { update: card.id, expectedRevision: card.revision }, card: groupCard('Family'), group: 'Family', previous: 'Family', members: [b.id],
      }, actor))!;
      expect(await groupsOf(a.id)).toEqual(['VIP']);
      expect(await groupsOf(b.id)).toEqual(['Family']);

      // a stale revision: 412, and neither the card nor any member changed
      await expect(store.writeGroupCard('acme', SHARED, {
        target: { update: card.id, expectedRevision: card.revision - 1 }, card: groupCard('Kin'), group: 'Kin', previous: 'Family', members: [a.id],
      }, actor)).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await groupsOf(a.id)).toEqual(['VIP']);
      expect(await groupsOf(b.id)).toEqual(['Family']);

      card = (await store.writeGroupCard('acme', SHARED, {
        target: { update: card.id, expectedRevision: card.revision }, card: groupCard('Kin'), group: 'Kin', previous: 'Family', members: [b.id],
      }, actor))!;
      expect(await groupsOf(b.id)).toEqual(['Kin']);

      const before = (await store.getAccountVersion('acme'))!.revision;
      expect(await store.writeGroupCard('acme', SHARED, {
        target: { delete: card.id, expectedRevision: card.revision }, group: null, previous: 'Kin', members: [],
      }, actor)).toBeNull();
      expect(await groupsOf(b.id)).toEqual([]);
      expect(await store.getContact('acme', card.id, EVERYONE(userId))).toBeNull();
      const changes = (await store.changesSince('acme', before))!;
      expect(changes).toMatchObject({ deleted: [card.id] });
      expect('changed' in changes && changes.changed).toContain(b.id);
    });
  });
}
