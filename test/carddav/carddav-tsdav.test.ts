// A second, independent client: tsdav (npm) discovers the account from the server address,
// lists the books, fetches cards by multiget and follows changes with sync-collection.
import request from 'supertest';
import { addressBookMultiGet, createDAVClient, type DAVAddressBook } from 'tsdav';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';

let f: DavFixture;
beforeAll(async () => { f = await startDavFixture(); });
afterAll(async () => { await f.server.close(); });

const client = () => createDAVClient({
  serverUrl: f.server.httpUrl,
  credentials: { username: 'ann@acme', password: PASSWORDS.ann },
  authMethod: 'Basic',
  defaultAccountType: 'carddav',
});

describe('tsdav', () => {
  it('discovers the books from the server address alone', async () => {
    const c = await client();
    const books = await c.fetchAddressBooks();
    expect(books.map((b) => b.displayName).sort()).toEqual(['Colleagues', 'Personal', 'Shared contacts']);
    const shared = books.find((b) => b.displayName === 'Shared contacts')!;
    expect(shared.url).toBe(`${f.server.httpUrl}/carddav/acme/ann/shared/`);
    expect(shared.syncToken).toMatch(/^http:\/\/dialbook\.org\/ns\/sync\/[0-9a-f]{24}\/r\d+$/);
  });

  it('fetches the cards of a book with addressbook-multiget', async () => {
    const c = await client();
    const shared = (await c.fetchAddressBooks()).find((b) => b.displayName === 'Shared contacts')!;
    const cards = await c.fetchVCards({ addressBook: shared, useMultiGet: true });
    expect(cards).toHaveLength(3);
    for (const card of cards) {
      expect(card.etag).toMatch(/^"\d+-[0-9a-z]+"$/);
      expect(card.data).toMatch(/^BEGIN:VCARD\r?\nVERSION:3\.0/);
    }
    expect(cards.map((x) => /FN:(.*)/.exec(x.data)![1].trim()).sort()).toEqual(['Acme Plumbing', 'John Doe', 'Zoë Ångström']);
  });

  it('follows a change and a deletion with sync-collection', async () => {
    const c = await client();
    const shared = (await c.fetchAddressBooks()).find((b) => b.displayName === 'Shared contacts')!;
    const objects = await c.fetchVCards({ addressBook: shared });
    const items = (await request(f.server.httpUrl).get('/api/v1/accounts/acme/contacts').set('Authorization', `Bearer ${f.acme.tokens.ann}`)).body.items;
    const john = items.find((x: { firstName: string }) => x.firstName === 'John');
    const acme = items.find((x: { company: string }) => x.company === 'Acme Plumbing');
    await request(f.server.httpUrl).patch(`/api/v1/accounts/acme/contacts/${john.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`).send({ title: 'Synced' }).expect(200);
    await request(f.server.httpUrl).delete(`/api/v1/accounts/acme/contacts/${acme.id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`).expect(204);

    const raw = await c.syncCollection({
      url: shared.url,
      props: { 'd:getetag': {}, 'card:address-data': {} } as never,
      syncLevel: 1,
      syncToken: shared.syncToken as string,
    });
    const changed = raw.filter((r) => r.ok && r.props?.getetag);
    const gone = raw.filter((r) => r.status === 404);
    expect(changed.map((r) => r.href)).toEqual([`/carddav/acme/ann/shared/${john.id}.vcf`]);
    expect(changed[0].props!.addressData).toContain('TITLE:Synced');
    expect(gone.map((r) => r.href)).toEqual([`/carddav/acme/ann/shared/${acme.id}.vcf`]);

    const result = await c.smartCollectionSync({
      collection: { ...shared, objects, objectMultiGet: addressBookMultiGet } as DAVAddressBook & { objects: typeof objects },
      method: 'webdav',
      detailedResult: true,
    } as never) as unknown as { objects: { created: unknown[]; updated: { url: string; data: string }[]; deleted: { url: string }[] }; syncToken: string };
    expect(result.objects.updated.map((o) => o.url)).toEqual([`${f.server.httpUrl}/carddav/acme/ann/shared/${john.id}.vcf`]);
    expect(result.objects.updated[0].data).toContain('TITLE:Synced');
    expect(result.objects.deleted.map((o) => o.url)).toEqual([`${f.server.httpUrl}/carddav/acme/ann/shared/${acme.id}.vcf`]);
    expect(result.syncToken).not.toBe(shared.syncToken);
  });
});
