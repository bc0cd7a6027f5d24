// Reads one account's contacts from the store a page at a time and sorts them into a read
// model's parts: what a build does on the main thread for a small account (account-build.ts) and
// in the build thread for a large one (build-worker.ts).
import type { Account } from '../domain/account-schemas.ts';
import type { AsyncStore } from '../store/async-store.ts';
import { AccountDirectory, type PreparedDirectory } from './account-directory.ts';
import { StringPool, toEntry, type DirEntry } from './directory-entry.ts';

/** What reading a model takes from the store. */
export type ReadSource = Pick<AsyncStore, 'getAccount' | 'getAccountVersion' | 'accountContactsAfter'>;

/** A model's parts read and sorted, or why there are none. */
export type ReadModel =
  | { prepared: PreparedDirectory; account: Account; incarnation: string; revision: number }
  | 'no account' | 'abandoned' | 'too big';

/** Contacts read per store call. */
const BUILD_PAGE = 250;
/** Attempts when the account is deleted and created again under its id while it is read. */
const ATTEMPTS = 3;

/**
 * Reads the account's contacts a page at a time and sorts them (AccountDirectory.prepare):
 * 'too big' as soon as `limit` contacts were read. pause is awaited after every page and every
 * slice of the sorts (the build thread lets a cancel in there).
 */
export async function readAccountModel(
  db: ReadSource, accountId: string, opts: { limit: number; wanted: () => boolean; pause: () => Promise<void> },
): Promise<ReadModel> {
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
      if (entries.length >= opts.limit) return 'too big';
      await opts.pause();
    } while (after !== null);
    if (!opts.wanted()) return 'abandoned';
    // Deleted and created again while the pages were read: they may mix two tenants, never kept.
    const now = await db.getAccountVersion(accountId);
    if (now === null) return 'no account';
    if (now.incarnation !== version.incarnation) continue;
    const prepared = await AccountDirectory.prepare(entries, pool, opts.pause);
    if (!opts.wanted()) return 'abandoned';
    return { prepared, account, incarnation: version.incarnation, revision: version.revision };
  }
  return 'abandoned';
}
