// The check thread, seen from the import thread: a job thread (src/jobs/) that reads and checks
// uploads (check-worker.ts) and streams the messages back. The import thread plans and writes
// slice k while this thread checks slice k+1: the two cores of a small server both work on a
// large import.
import { JobThread } from '../jobs/job-thread.ts';
import { movableBytes } from '../jobs/movable-bytes.ts';
import { unpackRows, type PackedRows } from './checked-row-codec.ts';
import type { CheckJob, CheckMessage } from './sheet-check.ts';

/** A check job as it crosses threads: the file's bytes moved, not copied. */
export type WireCheckJob = Omit<CheckJob, 'file'> & { file: Uint8Array };
/** A message as it crosses threads: rows packed (checked-row-codec.ts). */
export type WireMessage = Exclude<CheckMessage, { kind: 'rows' }> | { kind: 'packed'; packed: PackedRows };

const thread = new JobThread<WireCheckJob, void, WireMessage>(import.meta.url, './check-worker', { name: 'import-check' });

/** Messages received and not yet taken: what the import thread holds in memory unread. */
export function checkBacklog(): number {
  return thread.backlog;
}

/**
 * The messages of checkSheet(job), made in the check thread. Leaving the loop early cancels the
 * rest. `moveFile`: the file's memory moves to the check thread (job.file is empty afterwards)
 * instead of being copied; the import thread has no further use for it.
 */
export async function* checkInThread(job: CheckJob, moveFile = false): AsyncGenerator<CheckMessage> {
  const file = moveFile ? movableBytes(job.file) : new Uint8Array(job.file);
  for await (const m of thread.stream({ ...job, file }, [file.buffer as ArrayBuffer])) {
    yield m.kind === 'packed' ? { kind: 'rows', rows: unpackRows(m.packed) } : m;
  }
}
