// Shared lookup for every vendor: query mapping, search, reverse lookup, groups, sorting,
// paging, rendering and caching. Nothing here knows a vendor by name.
//
// Caching (issue #10 items 3 and 4): a request is first reduced to a PhonebookQuery holding only
// what the vendor's templates read (known parameters, normalised); the rendered answer is cached
// under that query, the account revision and the base URL, in a byte-bounded LRU. Paged views
// read only their page from the store's sorted order; vendors with one entry per number first
// learn how many entries each contact makes (a small per-revision index), then read only the
// contacts that fall on the page.
import { createHash, randomBytes } from 'node:crypto';
import { constants as zlibConstants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import type { Counter } from 'prom-client';
import type { AppContext } from '../app-context.ts';
import type { Account } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import { queryDigits } from '../domain/phone-number.ts';
import { counter, gauge } from '../ops/metrics.ts';
import type { ContactQuery, Criterion, Visibility } from '../store/store.ts';
import { buildEntries, clean, entryCount, type ModelEntry, type PhonebookModel } from './phonebook-model.ts';
import { ByteLruCache, type CacheStats } from './render-cache.ts';
import type { Vendor } from './vendor-registry.ts';

export interface PhonebookQuery {
  view: string;
  search: string;
  firstName: string;
  lastName: string;
  number: string;
  page: number;
  first: number | null;
  count: number | null;
  group: string;
  type: string;
}

export interface Rendered {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  contentType: string;
  entries: number;
}

/**
 * Every page of one paged question (page 1 to the last, or as many as the budget held), rendered
 * ahead with URL_STAND_IN where the request's URL goes: each page is the text between the stand-ins.
 * A phone's page is then the request's URL put back in (and gzipped), not a render.
 */
interface PageBook {
  /** parts: the page's text between the stand-ins; zparts: each part deflated on its own, all but
   *  the last ending on a byte boundary (sync flush), so that a gzip answer is these with the URL
   *  in stored blocks between them: no compression per request (gzipSync was a third of a cold
   *  burst's CPU for a 3 KB page, most of it setting up the compressor). */
  pages: { parts: Buffer[]; zparts: Buffer[]; entries: number }[];
  contentType: string;
}

/** gzip's header (RFC 1952): deflate, no name, no time, Unix. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
/** Longest URL put into a page made ahead (one stored block holds 65,535 bytes). */
const MAX_BASE = 2048;

/** Stands in for the request's URL in answers made ahead; random, so no contact's text can hold it. */
export const URL_STAND_IN = `http://u${randomBytes(8).toString('hex')}.invalid/`;
/** A request URL that can take the stand-in's place as it is: already in the form URL gives it
 *  (links are built with URL), and nothing in it that XML escapes (&, <, >, "). */
const PLAIN_BASE = /^https?:\/\/[A-Za-z0-9.:-]+\/[A-Za-z0-9._~!$'()*+,;=:@%/-]*$/;
/** Pages made ahead between two turns of the event loop (requests are answered in between). */
const PAGES_PER_TURN = 16;

type Params = Record<string, unknown>;

const MAX_TEXT = 100;
const MAX_PAGE = 1_000_000;
/** Most entries one first/count request may ask for (Gigaset asks for a screenful). */
const MAX_COUNT = 1000;
/** Memory for the per-revision page indexes (about 64 bytes per contact; 32 MiB holds 500,000). */
const PAGE_INDEX_BYTES = 32 * 1024 * 1024;
/** Memory for whole-directory reads shared between vendors (about 1 KB a contact). */
const FULL_READ_BYTES = 32 * 1024 * 1024;
/** A reverse lookup expected to match fewer contacts than this is read whole. */
const SMALL_MATCH = 20;
/** Digits in a search that make it a number search as well (q=4694292500). */
const MIN_SEARCH_DIGITS = 3;

/** The part of an ETag that names the question (account incarnation, vendor, query); the revision is added by etagOf. */
export function questionHash(account: Account, vendor: Vendor, q: PhonebookQuery): string {
  return createHash('sha1').update(`${account.incarnation}\u0000${vendor.descriptor.vendor}\u0000${JSON.stringify(q)}`).digest('base64url').slice(0, 16);
}

export function etagOf(account: Account, hash: string): string {
  return `"pb${account.revision}-${hash}"`;
}

/** Reduces a request's parameters to what the vendor's templates read. Unknown parameters vanish. */
export function readQuery(vendor: Vendor, params: Params): PhonebookQuery {
  const d = vendor.descriptor;
  const pick = (names: string[]) => {
    for (const n of names) {
      if (!Object.hasOwn(params, n)) continue;
      let v = params[n];
      if (Array.isArray(v)) v = v[0];
      // "*" alone means "any" (Gigaset sends every field, hm=<number>&mb=*): try the next name.
      if (typeof v === 'string' && /[^*\s]/.test(v)) return Array.from(v).slice(0, MAX_TEXT).join('');
    }
    return '';
  };
  const num = (s: string) => (!/^\d{1,9}$/.test(s) ? null : Number(s));
  const words = (s: string) => clean(s).replace(/\*/g, ' ').replace(/\s+/g, ' ').trim();
  let search = words(pick(d.params.search));
  if (d.emptySearchValues.includes(search)) search = '';
  const number = pick(d.params.number).replace(/[^0-9+*#]/g, '').replace(/\*/g, '');
  const first = num(pick(d.params.first));
  let count = num(pick(d.params.count));
  const last = num(pick(d.params.last));
  if (count === null && first !== null && last !== null && last >= first) count = last - first + 1;
  if (count !== null) count = Math.min(count, MAX_COUNT);
  const pageParam = num(pick(d.params.page));
  const page = Math.min(MAX_PAGE, Math.max(1, pageParam ?? 1));
  const group = clean(pick(d.params.group)).trim();
  const firstName = words(pick(d.params.firstName));
  const lastName = words(pick(d.params.lastName));
  const typeValue = pick(d.params.type);
  const type = d.typeValues.includes(typeValue) ? typeValue : (d.typeValues[0] ?? '');
  const asked = pick(d.params.view);
  // A search parameter sent empty still asks for results (Cisco's input screen submitted blank: the whole list).
  const searched = d.params.search.some((n) => Object.hasOwn(params, n));
  let view = 'default';
  if (asked !== '' && Object.hasOwn(vendor.templates, asked)) view = asked;
  else if (d.resultsView && (searched || search || number || group || firstName || lastName || pageParam !== null || first !== null)) view = d.resultsView;
  return { view, search, firstName, lastName, number, page, first, count, group, type };
}

export class PhonebookService {
  /** Answers, and the page books made ahead (one entry each), in one byte budget. */
  private readonly cache: ByteLruCache<Rendered | PageBook>;
  /** Per revision and search: how many entries each contact makes, for vendors with one entry per number. */
  private readonly pageIndexes: ByteLruCache<{ ids: string[]; before: number[] }>;
  private readonly fullReads = new ByteLruCache<Contact[]>(FULL_READ_BYTES, 4);
  private readonly groupLists = new Map<string, { incarnation: string; revision: number; users: boolean; groups: Promise<{ name: string }[]> }>();
  private readonly contactsRead: Counter<string>;
  private readonly entriesRendered: Counter<string>;
  private lastModifiedOf = { updatedAt: '', text: '' };
  /** Renderings under way, by cache key. */
  private readonly rendering = new Map<string, Promise<Rendered>>();

  constructor(private readonly ctx: AppContext) {
    const cfg = ctx.config.phonebook;
    this.cache = new ByteLruCache(cfg.cacheMaxBytes, cfg.cacheEntries);
    this.pageIndexes = new ByteLruCache(PAGE_INDEX_BYTES, 64);
    this.contactsRead = counter(ctx.metrics, 'dialbook_phonebook_contacts_read_total', 'Contacts read from the store to render phonebooks');
    this.entriesRendered = counter(ctx.metrics, 'dialbook_phonebook_entries_rendered_total', 'Phonebook entries rendered (cache misses only)');
    const stats = () => this.cache.stats();
    gauge(ctx.metrics, 'dialbook_phonebook_cache_bytes', 'Bytes held by the rendered-phonebook cache', () => stats().bytes);
    gauge(ctx.metrics, 'dialbook_phonebook_cache_entries', 'Answers held by the rendered-phonebook cache', () => stats().entries);
  }

  /** The Last-Modified of an account's answers (the last one made is kept: every request asks). */
  lastModified(account: Account): string {
    if (this.lastModifiedOf.updatedAt !== account.updatedAt) this.lastModifiedOf = { updatedAt: account.updatedAt, text: new Date(account.updatedAt).toUTCString() };
    return this.lastModifiedOf.text;
  }

  /** Whether an answer of this size may be made ahead: pre-rendering fills at most half the cache. */
  roomToPrerender(): boolean {
    const { bytes, maxBytes } = this.cache.stats();
    return bytes < maxBytes / 2;
  }

  cacheStats(): CacheStats {
    return this.cache.stats();
  }

  /** ETag for a request, known from the account's incarnation and revision alone (no rendering, no
   *  store read). The incarnation is in the hash: a re-created account restarts at revision 1. */
  etag(account: Account, vendor: Vendor, q: PhonebookQuery): string {
    return etagOf(account, questionHash(account, vendor, q));
  }

  /** base: the URL of the requested file without its query, from which templates' links are built. */
  async render(account: Account, vendor: Vendor, q: PhonebookQuery, base: string, etag = this.etag(account, vendor, q)): Promise<Rendered> {
    // an answer that shows no URL is the same whatever URL asked for it (and may be made ahead)
    const urlFree = vendor.urlFree.has(q.view);
    const key = urlFree ? `${account.id}\u0000${etag}` : `${account.id}\u0000${etag}\u0000${base}`;
    const hit = this.cache.get(key);
    if (hit) return hit as Rendered;
    // Phones that miss together (2,000 after a restart) share one rendering of each answer.
    const running = this.rendering.get(key);
    if (running) return running;
    const made = (urlFree ? null : this.fromBook(account, vendor, q, base, etag, key)) ?? this.renderNew(account, vendor, q, base, etag, key);
    const shared = made.finally(() => this.rendering.delete(key));
    this.rendering.set(key, shared);
    return shared;
  }

  private bookKey(account: Account, vendor: Vendor, q: PhonebookQuery): string {
    return `${account.id}\u0000book\u0000${account.incarnation}\u0000${account.revision}\u0000${vendor.descriptor.vendor}\u0000${JSON.stringify({ ...q, page: 1 })}`;
  }

  /** The page from a book made ahead, with the request's URL put in; null: no such page made ahead,
   *  or a URL that is not in the form links are built in (rendered instead, as before). */
  private fromBook(account: Account, vendor: Vendor, q: PhonebookQuery, base: string, etag: string, key: string): Promise<Rendered> | null {
    if (base.length > MAX_BASE || !PLAIN_BASE.test(base)) return null;
    const book = this.cache.get(this.bookKey(account, vendor, q)) as PageBook | undefined;
    const page = book?.pages[q.page - 1];
    if (!book || !page) return null;
    let href: string;
    try {
      href = new URL(base).href;
    } catch {
      return null;
    }
    if (href !== base) return null;
    const url = Buffer.from(base);
    const chunks: Buffer[] = [page.parts[0]];
    for (let i = 1; i < page.parts.length; i++) chunks.push(url, page.parts[i]);
    const body = Buffer.concat(chunks);
    // the URL as a stored block: BFINAL 0, BTYPE 00, then LEN and its complement
    const stored = Buffer.concat([Buffer.from([0, url.length & 0xff, url.length >> 8, ~url.length & 0xff, (~url.length >> 8) & 0xff]), url]);
    const z: Buffer[] = [GZIP_HEADER, page.zparts[0]];
    for (let i = 1; i < page.zparts.length; i++) z.push(stored, page.zparts[i]);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(body), 0);
    trailer.writeUInt32LE(body.length % 0x1_0000_0000, 4);
    z.push(trailer);
    const rendered: Rendered = { body, gzip: Buffer.concat(z), etag, contentType: book.contentType, entries: page.entries };
    this.cache.set(key, rendered, rendered.body.length + rendered.gzip.length + 256);
    return Promise.resolve(rendered);
  }

  /**
   * Makes the pages of a question (all, or the first maxPages) ahead of the phones,
   * with the URL stood in for (phonebook-prerender.ts), using at most maxBytes: pages past the
   * budget are rendered when asked. Returns the bytes the book holds (0: none made).
   */
  async makeBook(account: Account, vendor: Vendor, q1: PhonebookQuery, maxBytes: number, maxPages = MAX_PAGE): Promise<number> {
    const key = this.bookKey(account, vendor, q1);
    if (this.cache.get(key)) return 0;
    const stand = Buffer.from(URL_STAND_IN);
    const book: PageBook = { pages: [], contentType: vendor.descriptor.contentTypes[q1.view] ?? vendor.descriptor.contentType };
    let bytes = 0;
    for (let page = 1; page <= maxPages; page++) {
      const made = await this.renderBody(account, vendor, { ...q1, page }, URL_STAND_IN);
      if (bytes + made.body.length > maxBytes) break;
      const parts: Buffer[] = [];
      let from = 0;
      for (let at = made.body.indexOf(stand); at >= 0; at = made.body.indexOf(stand, from)) {
        parts.push(made.body.subarray(from, at));
        from = at + stand.length;
      }
      parts.push(made.body.subarray(from));
      // copies: a subarray would keep the whole page's buffer (and pool slab) alive
      const zparts = parts.map((b, i) => deflateRawSync(b, i < parts.length - 1 ? { finishFlush: zlibConstants.Z_SYNC_FLUSH } : {}));
      book.pages.push({ parts: parts.map((b) => Buffer.from(b)), zparts, entries: made.entries });
      bytes += made.body.length + zparts.reduce((n, b) => n + b.length, 0) + 64 + parts.length * 32;
      if (page >= made.pages) break;
      if (page % PAGES_PER_TURN === 0) await new Promise((r) => setImmediate(r));
    }
    if (book.pages.length === 0) return 0;
    this.cache.set(key, book, bytes);
    return bytes;
  }

  private async renderNew(account: Account, vendor: Vendor, q: PhonebookQuery, base: string, etag: string, key: string): Promise<Rendered> {
    const d = vendor.descriptor;
    const { body, entries } = await this.renderBody(account, vendor, q, base);
    const contentType = d.contentTypes[q.view] ?? d.contentType;
    const rendered: Rendered = { body, gzip: gzipSync(body), etag, contentType, entries };
    this.cache.set(key, rendered, rendered.body.length + rendered.gzip.length + 256);
    return rendered;
  }

  /** One answer's text, cut to the phone's size limit; pages: how many pages the question has. */
  private async renderBody(account: Account, vendor: Vendor, q: PhonebookQuery, base: string): Promise<{ body: Buffer; entries: number; pages: number }> {
    const d = vendor.descriptor;
    const model = await this.model(account, vendor, q, base);
    const template = vendor.templates[q.view] ?? vendor.templates.default;
    let body = Buffer.from(template(model), 'utf8');
    // Size guard (Polycom's dir.local limit, Gigaset's central phonebook): drop entries from the end until the answer fits.
    const maxBodyBytes = limitsOf(d, q.view).maxBodyBytes;
    if (maxBodyBytes > 0 && body.length > maxBodyBytes) {
      let keep = Math.floor(model.entries.length * (maxBodyBytes / body.length));
      while (keep >= 0) {
        const cut = { ...model, entries: model.entries.slice(0, keep), truncated: true };
        body = Buffer.from(template(cut), 'utf8');
        if (body.length <= maxBodyBytes || keep === 0) {
          model.entries = cut.entries;
          break;
        }
        keep = Math.floor(keep * 0.95);
      }
      this.ctx.logger.warn({ account: account.id, vendor: d.vendor, view: q.view, kept: model.entries.length, limit: maxBodyBytes }, 'phonebook cut to the phone\'s size limit');
    }
    this.entriesRendered.inc(model.entries.length);
    return { body, entries: model.entries.length, pages: model.paging.pages };
  }

  private criteria(q: PhonebookQuery): Criterion {
    const where: Criterion[] = [];
    if (q.search) {
      const any: Criterion[] = [{ words: q.search }, { name: 'displayName', op: 'prefix', value: q.search }];
      // Phones search digits too (Yealink #SEARCH, Cisco input): match them inside stored numbers.
      const digits = q.search.replace(/\D/g, '');
      if (digits.length >= MIN_SEARCH_DIGITS && /^[+\d\s().\-/]+$/.test(q.search)) any.push({ number: 'any', op: 'contains', value: digits });
      where.push({ or: any });
    }
    if (q.firstName) where.push({ name: 'firstName', op: 'prefix', value: q.firstName });
    if (q.lastName) where.push({ or: [{ name: 'lastName', op: 'prefix', value: q.lastName }, { name: 'sortName', op: 'prefix', value: q.lastName }] });
    if (q.number) {
      const digits = q.number.replace(/\D/g, '');
      where.push(digits.length >= this.ctx.config.numbers.minTailDigits
        ? { or: [{ number: 'any', op: 'eq', value: q.number }, { number: 'any', op: 'suffix', value: digits }] }
        : { number: 'any', op: 'eq', value: q.number });
    }
    if (q.group) where.push({ group: q.group });
    return where.length ? { and: where } : { all: true };
  }

  /** Which stored numbers a reverse lookup matched, by the same rule as the store's criterion. */
  private numberMatcher(account: Account, q: PhonebookQuery): ((digits: string) => boolean) | undefined {
    if (!q.number) return undefined;
    const { full, digits } = queryDigits(q.number, account.region);
    const tail = digits.length >= this.ctx.config.numbers.minTailDigits;
    return (stored) => stored === full || stored === digits || (tail && stored.endsWith(digits));
  }

  /**
   * Every matching contact, sorted. Kept briefly per account revision (bounded by an estimate of
   * 1 KB a contact), so that after a change the first whole-directory fetch of each vendor and
   * the paging index share one read instead of one each.
   */
  private allKey(account: Account, where: Criterion): string {
    return `${account.id}\u0000${account.incarnation}\u0000${account.revision}\u0000${account.settings.showUsersInDirectory}\u0000${JSON.stringify(where)}`;
  }

  private async all(account: Account, where: Criterion): Promise<Contact[]> {
    const key = this.allKey(account, where);
    const hit = this.fullReads.get(key);
    if (hit) return hit;
    const { contacts } = await this.query(account, where);
    this.fullReads.set(key, contacts, contacts.length * 1024);
    return contacts;
  }

  /** What phones see: shared contacts, users' own entries where the account shows them, only those with a number. */
  private visibility(account: Account): Visibility {
    return { shared: true, users: account.settings.showUsersInDirectory, personalOf: null, dialable: true };
  }

  /**
   * The groups phones may list (ids are positions in this list): those holding a contact phones
   * see, from the read model (a group only personal contacts are in names nothing phones may
   * show, and is not listed). Kept per revision: every request of a vendor with groups asks.
   */
  private groups(account: Account): Promise<{ name: string }[]> {
    const hit = this.groupLists.get(account.id);
    if (hit && hit.incarnation === account.incarnation && hit.revision === account.revision && hit.users === account.settings.showUsersInDirectory) return hit.groups;
    const groups = this.ctx.directory.groupNames(account.id, this.visibility(account), account).then((names) => names.map((name) => ({ name })));
    if (this.groupLists.size >= 10_000) this.groupLists.clear();
    const entry = { incarnation: account.incarnation, revision: account.revision, users: account.settings.showUsersInDirectory, groups };
    this.groupLists.set(account.id, entry);
    // a failed read is not kept: the next request tries again
    groups.catch(() => { if (this.groupLists.get(account.id) === entry) this.groupLists.delete(account.id); });
    return groups;
  }

  private async query(account: Account, where: Criterion, extra: Partial<ContactQuery> = {}): Promise<{ contacts: Contact[]; total: number | null }> {
    // the read model, as for LDAP: one statement of visibility, order and matching for phones
    const page = await this.ctx.directory.queryContacts(account.id, {
      visibility: this.visibility(account),
      where, sort: 'name', limit: 1_000_000, ...extra,
    }, account);
    this.contactsRead.inc(page.contacts.length);
    return page;
  }

  /** The entries of one window [start, start + size) of the sorted directory, and the total. */
  private async window(account: Account, vendor: Vendor, where: Criterion, start: number, size: number, opts0: { groupIds: Map<string, number>; keepNumber?: (digits: string) => boolean }): Promise<{ entries: ModelEntry[]; total: number }> {
    const d = vendor.descriptor;
    const opts = { ...opts0, firstIndex: start + 1 };
    if (!d.entryPerNumber) {
      // Caller-ID lookups (Gigaset first=1&count=1) match a handful of contacts: one query that
      // reads them all gives the total too, without a count over the account.
      if (opts0.keepNumber && start + size <= SMALL_MATCH) {
        const few = await this.query(account, where, { limit: SMALL_MATCH, offset: 0 });
        if (few.contacts.length < SMALL_MATCH) {
          return { entries: buildEntries(few.contacts.slice(start, start + size), account, d, opts), total: few.contacts.length };
        }
      }
      const { contacts, total } = await this.query(account, where, { limit: size, offset: start, withTotal: true });
      return { entries: buildEntries(contacts, account, d, opts), total: total ?? contacts.length };
    }
    const index = await this.pageIndex(account, vendor, where, opts0.keepNumber);
    const total = index.before[index.ids.length];
    // First contact whose entries reach into the window, then contacts until the window is full.
    let lo = 0;
    let hi = index.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (index.before[mid + 1] <= start) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < index.ids.length && index.before[end] < start + size) end++;
    // The sorted list the index came from, while it is still in memory; else only the page's contacts from the store.
    const cached = this.fullReads.get(this.allKey(account, where));
    let contacts: Contact[];
    if (cached && cached.length === index.ids.length) {
      contacts = cached.slice(lo, end);
    } else {
      const ids = index.ids.slice(lo, end);
      contacts = ids.length ? await this.ctx.directory.getContactsByIds(account.id, ids, account) : [];
      this.contactsRead.inc(contacts.length);
    }
    const skip = lo < index.ids.length ? start - index.before[lo] : 0;
    const built = buildEntries(contacts, account, d, { ...opts, firstIndex: (index.before[lo] ?? total) + 1 });
    return { entries: built.slice(skip, skip + size), total };
  }

  private async pageIndex(account: Account, vendor: Vendor, where: Criterion, keepNumber?: (digits: string) => boolean): Promise<{ ids: string[]; before: number[] }> {
    const key = `${account.id}\u0000${account.incarnation}\u0000${account.revision}\u0000${JSON.stringify(where)}`;
    const hit = this.pageIndexes.get(key);
    if (hit) return hit;
    const contacts = await this.all(account, where);
    const before = [0];
    for (const c of contacts) before.push(before[before.length - 1] + entryCount(c, vendor.descriptor, keepNumber));
    const index = { ids: contacts.map((c) => c.id), before };
    this.pageIndexes.set(key, index, index.ids.length * 64);
    return index;
  }

  private async model(account: Account, vendor: Vendor, q: PhonebookQuery, base: string): Promise<PhonebookModel> {
    const d = vendor.descriptor;
    const where = this.criteria(q);
    const groupList = await this.groups(account);
    const groupIds = new Map(groupList.map((g, i) => [g.name, i + 1]));
    const keepNumber = this.numberMatcher(account, q);
    const opts = { groupIds, keepNumber };
    const { maxEntries } = limitsOf(d, q.view);
    const paged = q.first !== null || q.count !== null || d.pageSize > 0 || maxEntries > 0;
    let start = 0;
    let entries: ModelEntry[];
    let total: number;
    if (!paged) {
      entries = buildEntries(await this.all(account, where), account, d, opts);
      total = entries.length;
    } else {
      let size: number;
      if (q.first !== null || q.count !== null) {
        start = Math.max(0, (q.first ?? 1) - 1);
        size = q.count ?? (d.pageSize || maxEntries || MAX_COUNT);
      } else if (d.pageSize > 0) {
        start = (q.page - 1) * d.pageSize;
        size = d.pageSize;
      } else {
        size = maxEntries;
      }
      // The phone's cap holds whatever the request asked for; the user narrows the search instead.
      if (maxEntries > 0) size = Math.min(size, maxEntries);
      ({ entries, total } = size > 0 ? await this.window(account, vendor, where, start, size, opts) : { entries: [], total: 0 });
    }
    if (d.indexPerAnswer) entries.forEach((e, i) => { e.index = i + 1; });
    const pages = d.pageSize > 0 ? Math.max(1, Math.ceil(total / d.pageSize)) : 1;
    const page = d.pageSize > 0 ? Math.floor(start / d.pageSize) + 1 : 1;
    const link = (p: number) => canonicalUrl(base, vendor, q, p);
    return {
      title: clean(account.name),
      account: { id: account.id, name: clean(account.name) },
      accountIndex: account.settings.phoneAccountIndex,
      type: q.type,
      query: { search: q.search, number: q.number, group: q.group },
      entries,
      groups: groupList.map((g, i) => ({ id: i + 1, name: clean(g.name), url: withParams(base, { [d.params.group[0] ?? 'group']: g.name }) })),
      search: q.search,
      total,
      truncated: maxEntries > 0 && start + entries.length < total,
      paging: {
        page, pages, first: entries.length ? start + 1 : 0, last: start + entries.length, count: entries.length,
        prevUrl: d.pageSize > 0 && page > 1 ? link(page - 1) : null,
        nextUrl: d.pageSize > 0 && page < pages ? link(page + 1) : null,
        selfUrl: link(page),
        searchUrl: base,
      },
    };
  }
}

/** The entry and size limits of one view: the view's own where the descriptor gives them, else the vendor's. */
function limitsOf(d: Vendor['descriptor'], view: string): { maxEntries: number; maxBodyBytes: number } {
  const v = Object.hasOwn(d.viewLimits, view) ? d.viewLimits[view] : {};
  return { maxEntries: v.maxEntries ?? d.maxEntries, maxBodyBytes: v.maxBodyBytes ?? d.maxBodyBytes };
}

/** The URL of a page of this view, rebuilt from the normalised query (never from the raw URL). */
function canonicalUrl(base: string, vendor: Vendor, q: PhonebookQuery, page: number): string {
  const p = vendor.descriptor.params;
  const out: Record<string, string> = {};
  if (q.view !== 'default' && p.view[0]) out[p.view[0]] = q.view;
  if (q.search && p.search[0]) out[p.search[0]] = q.search;
  if (q.number && p.number[0]) out[p.number[0]] = q.number;
  if (q.group && p.group[0]) out[p.group[0]] = q.group;
  if (page > 1 && p.page[0]) out[p.page[0]] = String(page);
  if (page > 1 && !p.page[0]) out.page = String(page);
  return withParams(base, out);
}

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
