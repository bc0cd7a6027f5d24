// Makes each vendor's whole-directory answer (body and gzip) ahead of the phones: when an
// account's read model is built (at start, before /readyz turns 200) and when it changes. After a
// restart 2,000 phones asking at once then find the big answers in the cache instead of each
// vendor's first askers waiting for a render. Answers that show no URL (the default view of
// Yealink, Grandstream, Polycom, Fanvil, ...) are made as they are served. Views whose links carry
// the URL the phone used (Cisco's menu and directory pages, Aastra's pages, ...) are made as page
// books: every page with a stand-in for the URL, which a request's URL replaces (and is gzipped)
// when a phone asks (phonebook-service.ts, makeBook). Memory: everything goes into the
// byte-bounded render cache, and only while it is less than half full; the books share what
// is left, so a large account gets its first pages made ahead and the rest when asked.
import type { AppContext } from '../app-context.ts';
import { PhonebookService, readQuery, type PhonebookQuery } from './phonebook-service.ts';
import type { Vendor, VendorRegistry } from './vendor-registry.ts';

/** After a change, wait this long for more before rendering again (an import writes many revisions). */
const CHANGE_DELAY_MS = 1000;
/**
 * What making everything ahead costs per contact (every vendor's whole file and page books, body
 * and gzip): 10,000 contacts took 18.1 MiB, ~1.9 KB each (bench/README.md, Phonebook burst). An
 * account whose share would not fit in half the cache is not made ahead at all: at 1,000,000
 * contacts one whole-file render holds the event loop for seconds and its answer is larger than
 * the cache, so making it after every change would only stall the phones' searches. Its phones'
 * first requests render as before; a larger phonebook.cacheMaxBytes raises the bound.
 */
const BYTES_PER_CONTACT_MADE_AHEAD = 2048;
/** Stands in for the request URL: no template rendered here shows it. */
const NO_URL = 'http://prerender.invalid/';

export class PhonebookPrerender {
  private readonly wanted = new Set<string>();
  private draining: Promise<void> | null = null;
  private stopped = false;
  private starting = true;
  private readonly unlisten: () => void;
  /** Whole-directory answers made ahead (for tests and metrics). */
  rendered = 0;
  /** Page books made ahead (paged and URL-showing views, for tests). */
  books = 0;
  /** Accounts too large for the cache to be made ahead (for tests). */
  skipped = 0;

  constructor(private readonly ctx: AppContext, private readonly registry: VendorRegistry, private readonly service: PhonebookService) {
    // A model built for the first time after the start was built for a request, which renders
    // what it asked for; the rest waits for a phone (or the next change).
    this.unlisten = ctx.directory.onUpdated((accountId, first) => {
      if (!first || this.starting) this.want(accountId);
    });
  }

  /** The start's warm-up is over: from now on only changed models are rendered ahead. */
  started(): void {
    this.starting = false;
  }

  /** Resolves once every account asked for so far is rendered. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  stop(): void {
    this.stopped = true;
    this.unlisten();
    this.wanted.clear();
  }

  private want(accountId: string): void {
    if (this.stopped) return;
    this.wanted.add(accountId);
    // the first build of a model is rendered at once (start); a change after a short wait
    this.draining ??= new Promise<void>((done) => void setTimeout(done, this.ctx.directory.counts.updates > 0 ? CHANGE_DELAY_MS : 0).unref())
      .then(() => this.drain())
      .finally(() => { this.draining = null; });
  }

  private async drain(): Promise<void> {
    for (const accountId of this.wanted) {
      this.wanted.delete(accountId);
      if (this.stopped) return;
      try {
        await this.renderAccount(accountId);
      } catch (err) {
        // a phone's request renders it then; nothing is lost but the head start
        this.ctx.logger.warn({ err, account: accountId }, 'pre-rendering the phonebooks failed');
      }
    }
  }

  private async renderAccount(accountId: string): Promise<void> {
    if ((this.ctx.directory.size(accountId) ?? 0) * BYTES_PER_CONTACT_MADE_AHEAD > this.service.cacheStats().maxBytes / 2) {
      this.skipped++;
      return;
    }
    // whole directories first (every vendor's phones fetch them), then the page books
    const books: { vendor: Vendor; q: PhonebookQuery; pages: number }[] = [];
    for (const vendor of this.registry.vendors) {
      const account = await this.ctx.directory.account(accountId);
      if (!account || this.stopped) return;
      // Every view that shows a URL as a book: the listing (the results view, else the default:
      // Cisco's directory, Aastra's pages) with all its pages, the others (menus, input screens,
      // Yealink's groups) with their first page, the one phones ask for.
      const listing = vendor.descriptor.resultsView ?? 'default';
      const seen = new Set<string>();
      for (const params of [{}, { page: '1' }, ...Object.keys(vendor.templates).map((view) => ({ view }))]) {
        const q = readQuery(vendor, params);
        if (vendor.urlFree.has(q.view) || seen.has(JSON.stringify(q))) continue;
        seen.add(JSON.stringify(q));
        books.push({ vendor, q, pages: q.view === listing ? Number.MAX_SAFE_INTEGER : 1 });
      }
      const q = readQuery(vendor, {});
      if (!vendor.urlFree.has(q.view) || q.view !== 'default' || !this.service.roomToPrerender()) continue;
      await this.service.render(account, vendor, q, NO_URL);
      this.rendered++;
      // one vendor per turn: requests arriving meanwhile are answered in between
      await new Promise((r) => setImmediate(r));
    }
    // the listings first (most of the pages phones ask for), then menus and screens
    books.sort((a, b) => b.pages - a.pages);
    for (let i = 0; i < books.length; i++) {
      const account = await this.ctx.directory.account(accountId);
      if (!account || this.stopped) return;
      // what is left of half the cache, shared fairly among the books still to make
      const { bytes, maxBytes } = this.service.cacheStats();
      const room = Math.floor((maxBytes / 2 - bytes) / (books.length - i));
      if (room <= 0) break;
      if ((await this.service.makeBook(account, books[i].vendor, books[i].q, room, books[i].pages)) > 0) this.books++;
      await new Promise((r) => setImmediate(r));
    }
  }
}
