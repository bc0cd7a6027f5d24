import { startDavFixture } from './test/carddav/carddav-helpers.ts';
import { fakeContact, rng } from './bench/lib/fake-contacts.ts';
import { CardResources } from './src/carddav/dav-resources.ts';
import { findBook } from './src/carddav/address-books.ts';
import { cardResource } from './src/carddav/dav-properties.ts';
import { Multistatus } from './src/carddav/multistatus.ts';
const rand = rng(13);
const contacts = Array.from({ length: 10000 }, (_, i) => ({ ...fakeContact(i, rand), groups: i % 5 === 0 ? ['Customers'] : [] }));
const f = await startDavFixture({}, contacts);
const ctx = f.server.ctx;
const u = { account: ctx.store.getAccount('acme')!, user: f.acme.users.ann };
const book = findBook(u, 'shared')!;
const cr = new CardResources(ctx);
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  const page = ctx.store.queryContacts('acme', { visibility: book.visibility, sort: 'name', limit: 1e9 });
  const t1 = performance.now();
  const cards = cr.cards(u, page.contacts);
  const t2 = performance.now();
  const out = new Multistatus();
  const want = { names: ['{DAV:}resourcetype', '{DAV:}getcontenttype', '{DAV:}getetag'] };
  for (const c of cards) out.resource(cardResource(u, book, c, cr, '3.0'), want);
  const t3 = performance.now();
  const xml = out.end();
  const t4 = performance.now();
  console.log(`query ${(t1 - t).toFixed(0)} cards ${(t2 - t1).toFixed(0)} build ${(t3 - t2).toFixed(0)} serialize ${(t4 - t3).toFixed(0)} bytes ${xml.length}`);
}
await f.server.close();
