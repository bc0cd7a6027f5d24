// Reads one account's read model from the store, a page of contacts per store call (there is no
// whole-account read in the store contract: a million contacts come in pages). A small account
// is read and sorted here, in one piece (milliseconds). One of backgroundMin contacts or more is
// read, folded and sorted in the build thread (build-thread.ts, the same code as here, on its own
// store connection), which hands the finished entries and indexes over: at a million contacts
// that work is about 30 s of CPU, and on the thread that answers phones, even cut into turns,
// every search waited behind it (issue 24: "build a cold model off the event loop").
import type { AsyncStore } from '../store/async-store.ts';
import { AccountDirectory } from './account-directory.ts';
import { readAccountModel } from './account-read.ts';
import { buildInThread } from './build-thread.ts';

/** What a build reads from the store (locator: where the build thread opens its own connection). */
export type BuildSource = Pick<AsyncStore, 'getAccount' | 'getAccountVersion' | 'accountContactsAfter' | 'locator'>;

export interface BuildOptions {
  /** From this many contacts on, the account is built in the build thread. */
  backgroundMin: number;
  /** False once nobody wants the build (closed, superseded): it stops at its next step. */
  wanted: () => boolean;
  /** Contacts in the account's previous model: a large one goes to the build thread at once. */
  knownSize?: number;
  /** Called once the build is known to go to the build thread (it will take a while). */
  onBig?: () => void;
}

/** A built model, or why there is none. big: built in the build thread. */
export type BuildResult = { dir: AccountDirectory; big: boolean } | 'no account' | 'abandoned';

const noPause = () => Promise.resolve();

export async function buildAccountDirectory(db: BuildSource, accountId: string, opts: BuildOptions): Promise<BuildResult> {
  if ((opts.knownSize ?? 0) < opts.backgroundMin) {
    const read = await readAccountModel(db, accountId, { limit: opts.backgroundMin, wanted: opts.wanted, pause: noPause });
    if (read !== 'too big') {
      return typeof read === 'string' ? read : { dir: new AccountDirectory(read.prepared, read.account, read.incarnation, read.revision), big: false };
    }
  }
  opts.onBig?.();
  const built = await buildInThread(db.locator, accountId, opts.wanted);
  return typeof built === 'string' ? built : { dir: built, big: true };
}
