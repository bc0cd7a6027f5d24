// Entry of the check thread (started by check-thread.ts from the import thread): reads an upload
// and checks its rows (sheet-check.ts), posting each message as it is made, so the import thread
// plans and writes the first slices while this one checks the next.
import { answerJobs } from '../jobs/job-worker.ts';
import { packRows } from './checked-row-codec.ts';
import type { WireCheckJob, WireMessage } from './check-thread.ts';
import { checkSheet } from './sheet-check.ts';

/**
 * Slices posted and not yet taken by the import thread, at most: this thread checks faster than
 * the import thread writes, and without a bound a large file would wait, checked, in memory.
 */
const MAX_AHEAD = 4;

answerJobs<WireCheckJob, void, WireMessage>(async (job, control) => {
  const file = Buffer.from(job.file.buffer, job.file.byteOffset, job.file.byteLength);
  for await (const message of checkSheet({ ...job, file })) {
    await control.progress(message.kind === 'rows' ? { kind: 'packed', packed: packRows(message.rows) } : message);
  }
  return { result: undefined };
}, { maxAhead: MAX_AHEAD });
