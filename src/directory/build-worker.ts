// Entry of the build thread (started by build-thread.ts): each job reads one account's model
// through a store this thread opens from the locator for the job and closes after it, and sends
// it back as chunks of entries, then the indexes.
import { answerJobs } from '../jobs/job-worker.ts';
import { openStoreFor } from '../store/open-store.ts';
import { readAccountModel } from './account-read.ts';
import type { ModelDone, ModelJob, ModelProgress } from './build-thread.ts';
import { CHUNK, ColumnWriter } from './entry-columns.ts';
import { INDEXED_NAMES } from './name-index.ts';

/** Pages and sort slices between two moments that let a cancel in. */
const STEPS_PER_CHECK = 16;

answerJobs<ModelJob, ModelDone, ModelProgress>(async ({ locator, accountId }, control) => {
  const db = await openStoreFor(locator, { readOnly: true });
  const close = () => db.close().catch(() => undefined);
  try {
    let steps = 0;
    const pause = () => (++steps % STEPS_PER_CHECK === 0 ? control.progress(null) : Promise.resolve());
    const read = await readAccountModel(db, accountId, { limit: Infinity, wanted: () => true, pause });
    if (read === 'too big') throw new Error('unreachable: no limit');
    if (typeof read === 'string') return { result: { kind: read }, afterReply: close };
    const { entries, names, numbers } = read.prepared;
    const writer = new ColumnWriter();
    for (let from = 0; from < entries.length; from += CHUNK) {
      const { chunk, transfer } = writer.chunk(entries, from, Math.min(entries.length, from + CHUNK));
      await control.progress(chunk, transfer);
    }
    const buffers = [...INDEXED_NAMES.map((f) => names[f].buffer), numbers.positions.buffer, numbers.slots.buffer] as ArrayBuffer[];
    return {
      result: { kind: 'built', account: read.account, incarnation: read.incarnation, revision: read.revision, size: entries.length, names, numbers },
      transfer: buffers,
      afterReply: close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}, { maxAhead: 4 });
