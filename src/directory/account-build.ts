// Reads one account's read model from the store: a page of contacts per store call, and for a
// large account a turn of the event loop per page and a sort in slices (sliced-sort.ts): building
// 100,000 contacts in one piece held the event loop for 3-4 s and every phone waited. There is
// no whole-account read in the store contract: a million contacts come in pages.
import type { AsyncStore } from '../store/async-store.ts';
import { AccountDirectory } from './account-directory.ts';
import { StringPool, toEntry, type DirEntry } from './directory-entry.ts';

/** What a build reads from the store. */
export type BuildSource = Pick<AsyncStore, 'getAccount' | 'getAccountVersion' | 'accountContactsAfter'>;

export interface BuildOptions {
  /** From this many contacts on, the build gives the event loop back after every page and sorts in slices. */
  backgroundMin: number;
  /** False once nobody wants the build (closed, superseded): it stops at the next page. */
  wanted: () => boolean;
}

/** A built model, or why there is none. */
export type BuildResult = { dir: AccountDirectory; big: boolean } | 'no account' | 'abandoned';

/** Contacts read per store call (per turn of the event loop for a large account: about 15-20 ms of work). */
const BUILD_PAGE = 250;
/** Attempts when the account is deleted and created again under its id while it is read. */
const ATTEMPTS = 3;

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const noPause = () => Promise.resolve();

export async function buildAccountDirectory(db: BuildSource, accountId: string, opts: BuildOptions): Promise<BuildResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // Revision first: a write landing while the pages are read is in the feed after it, and is
    // applied again (harmless) when the model is followed from this revision.
    const version = await db.getAccountVersion(accountId);
    const account = await db.getAccount(accountId);
    if (version === null || !account) return 'no account';
    if (account.incarnation !== version.incarnation) continue; // re-created between the two reads
    // each page's entries (folded names) are made as it is read: less left for the last step
    const entries: DirEntry[] = [];
    const pool = new StringPool();
    let after: string | null = null;
    do {
      if (!opts.wanted()) return 'abandoned';
      const page = await db.accountContactsAfter(accountId, after, BUILD_PAGE);
      for (const c of page.contacts) entries.push(toEntry(c, entries.length, pool));
      after = page.next;
      if (entries.length >= opts.backgroundMin) await yieldTurn();
    } while (after !== null);
    if (!opts.wanted()) return 'abandoned';
    // Deleted and created again while the pages were read: they may mix two tenants, never kept.
    const now = await db.getAccountVersion(accountId);
    if (now === null) return 'no account';
    if (now.incarnation !== version.incarnation) continue;
    const big = entries.length >= opts.backgroundMin;
    // sorting the entries and the name and number indexes: six arrays of the account's size,
    // a turn at a time for a large account (in one piece, about a second at 100,000 contacts)
    const prepared = await AccountDirectory.prepare(entries, pool, big ? yieldTurn : noPause);
    if (!opts.wanted()) return 'abandoned';
    return { dir: new AccountDirectory(prepared, account, version.incarnation, version.revision), big };
  }
  return 'abandoned';
}
