// The build thread, seen from the main thread: a job thread (src/jobs/) that reads a large
// account's contacts through a store of its own (opened from the database's locator, as the
// import thread does), folds and sorts them exactly as a build here would (account-read.ts), and
// hands the result over: the entries in directory order, in chunks (entry-columns.ts), then the
// name and number indexes as typed arrays, moved rather than copied. This thread only makes the
// entries from the chunks (a few ms a message) and collects the groups a slice at a time, so
// phones' searches go on between any two steps (issue 24).
import type { Account } from '../domain/account-schemas.ts';
import type { StoreLocator } from '../store/async-store.ts';
import { JobThread } from '../jobs/job-thread.ts';
import { AccountDirectory, addToGroups } from './account-directory.ts';
import { StringPool, type DirEntry } from './directory-entry.ts';
import { ColumnReader, type EntryChunk } from './entry-columns.ts';
import type { IndexedName } from './name-index.ts';
import { forEachInSlices } from './packed-positions.ts';

export interface ModelJob { locator: StoreLocator; accountId: string }

/** The build thread's answer once every chunk is sent. */
export type ModelDone =
  | {
    kind: 'built'; account: Account; incarnation: string; revision: number; size: number;
    names: Record<IndexedName, Int32Array>; numbers: { positions: Int32Array; slots: Uint16Array };
  }
  | { kind: 'no account' | 'abandoned' };

/** A chunk of entries, or null: the thread is still reading or sorting (a moment to let a cancel in). */
export type ModelProgress = EntryChunk | null;

// One build at a time (they queue): each holds a model's worth of memory in that thread too. The
// thread ends soon after its last build to give that memory back.
const thread = new JobThread<ModelJob, ModelDone, ModelProgress>(import.meta.url, './build-worker', { name: 'read-model', idleMs: 2_000 });

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Builds the account's model in the build thread; 'abandoned' once wanted() turns false (the thread's job is cancelled). */
export async function buildInThread(locator: StoreLocator, accountId: string, wanted: () => boolean): Promise<AccountDirectory | 'no account' | 'abandoned'> {
  const pool = new StringPool();
  const reader = new ColumnReader(pool);
  const entries: DirEntry[] = [];
  const answers = thread.stream({ locator, accountId });
  let done: ModelDone;
  try {
    for (;;) {
      const next = await answers.next();
      if (!wanted()) return 'abandoned';
      if (next.done) {
        done = next.value;
        break;
      }
      if (next.value) {
        reader.read(next.value, entries);
        // Chunks the thread sent while this one was busy wait in the stream, and taking them one
        // after another resolves in microtasks alone: at a million contacts the backlog of
        // chunks and the young-generation collections between them held the event loop for
        // 0.6-1.3 s (bench/README.md, "Searches while a big account's model is rebuilt"). A turn
        // of the event loop after each chunk lets searches in between.
        await yieldTurn();
      }
    }
  } finally {
    // leaving early (abandoned, or an error here) cancels the job
    await answers.return(undefined as never);
  }
  if (done.kind !== 'built') return done.kind;
  if (entries.length !== done.size) throw new Error(`read model of ${accountId}: ${entries.length} entries arrived of ${done.size}`);
  const groups = new Map<string, DirEntry[]>();
  await forEachInSlices(entries.length, (i) => addToGroups(groups, entries[i]), yieldTurn);
  if (!wanted()) return 'abandoned';
  return new AccountDirectory({ entries, groups, names: done.names, numbers: done.numbers, pool }, done.account, done.incarnation, done.revision);
}
