// The vCards apps wrote (PreparedContact.vcard, AsyncCardStore.storedVcards), over both engines:
// kept with their contact's write, left alone by writes that carry none (the admin API, imports),
// replaced by the next app write, gone with the contact (also when an import deletes it), and
// never another account's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import { KINDS, type ContractStore } from './stores.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const CARD = (n: number) => `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Card ${n}\r\nN:${n};Card;;;\r\nPHOTO;ENCODING=b;TYPE=JPEG:${'QUJD'.repeat(2000)}\r\nEND:VCARD\r\n`;
const prep = (lastName: string, vcard?: string) => ({ ...prepareContact({ lastName, workNumber: '+1 469 429 3000' }, 'US'), ...(vcard ? { vcard } : {}) });

for (const makeKind of KINDS) {
  const kind = makeKind();
  describe.skipIf(!kind.available())(`stored vCards: ${kind.name}`, () => {
    let store: ContractStore;
    beforeAll(async () => {
      await kind.setUp('vcards');
      store = await kind.open();
      await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      await store.createAccount({ id: 'globex', name: 'Globex', region: 'US' }, actor);
    });
    afterAll(async () => { await kind.tearDown(); });

    it('keeps the card of an app write, and keeps it through a write without one', async () => {
      const a = await store.createContactWithCard('acme', SHARED, prep('One', CARD(1)), actor, { name: 'one.vcf', uid: 'one' });
      const b = await store.createContact('acme', SHARED, prep('Two'), actor);
      expect(await store.storedVcards('acme', [a.id, b.id, 'no-such-id'])).toEqual(new Map([[a.id, CARD(1)]]));
      await store.updateContact('acme', SHARED, a.id, prep('One Renamed'), actor);
      expect((await store.storedVcards('acme', [a.id])).get(a.id)).toBe(CARD(1));
      await store.updateContact('acme', SHARED, a.id, prep('One', CARD(2)), actor);
      expect((await store.storedVcards('acme', [a.id])).get(a.id)).toBe(CARD(2));
      await store.updateContact('acme', SHARED, b.id, prep('Two', CARD(3)), actor);
      expect((await store.storedVcards('acme', [b.id])).get(b.id)).toBe(CARD(3));
      // another account asking for these ids gets nothing
      expect((await store.storedVcards('globex', [a.id, b.id])).size).toBe(0);
    });

    it('forgets a card with its contact, whether deleted alone or by an import', async () => {
      const a = await store.createContact('acme', SHARED, prep('Gone', CARD(4)), actor);
      const b = await store.createContact('acme', SHARED, prep('Imported Away', CARD(5)), actor);
      await store.deleteContact('acme', SHARED, a.id, actor);
      await store.applyBatch('acme', SHARED, [{ op: 'delete', id: b.id }], actor);
      expect((await store.storedVcards('acme', [a.id, b.id])).size).toBe(0);
    });
  });
}
