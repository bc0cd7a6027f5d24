// Makes each vendor's whole-directory answer (body and gzip) ahead of the phones: when an
// account's read model is built (at start, before /readyz turns 200) and when it changes. After a
// restart 2,000 phones asking at once then find the big answers in the cache instead of each
// vendor's first askers waiting for a render. Only answers that show no URL can be made before
// a phone asks (the others carry links built from the URL the phone used): the default view of
// every vendor whose template has none (Yealink, Grandstream, Polycom, Fanvil, ...). Memory: the
// answers go into the byte-bounded render cache, and only while it is less than half full.
import type { AppContext } from '../app-context.ts';
import { PhonebookService, readQuery } from './phonebook-service.ts';
import type { VendorRegistry } from './vendor-registry.ts';

/** After a change, wait this long for more before rendering again (an import writes many revisions). */
const CHANGE_DELAY_MS = 1000;
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
    for (const vendor of this.registry.vendors) {
      if (!vendor.urlFree.has('default') || !this.service.roomToPrerender()) continue;
      const account = await this.ctx.directory.account(accountId);
      if (!account || this.stopped) return;
      const q = readQuery(vendor, {});
      if (q.view !== 'default') continue;
      await this.service.render(account, vendor, q, NO_URL);
      this.rendered++;
      // one vendor per turn: requests arriving meanwhile are answered in between
      await new Promise((r) => setImmediate(r));
    }
  }
}
