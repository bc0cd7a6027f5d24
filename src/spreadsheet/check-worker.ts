// Entry of the check thread (started by check-thread.ts from the import thread): reads an upload
// and checks its rows (sheet-check.ts), posting each message as it is made, so the import thread
// plans and writes the first slices while this one checks the next.
import { parentPort } from 'node:worker_threads';
import { runBehindMainThread, toThreadError } from './module-worker.ts';
import { packRows } from './checked-row-codec.ts';
import { checkSheet } from './sheet-check.ts';
import type { CheckReply, CheckRequest } from './check-thread.ts';

runBehindMainThread();

/**
 * Slices posted and not yet taken by the import thread, at most: this thread checks faster than
 * the import thread writes, and without a bound a large file would wait, checked, in memory.
 */
const MAX_AHEAD = 4;

const cancelled = new Set<number>();
/** Per job: slices posted minus slices taken, and who waits for the import thread to take one. */
const ahead = new Map<number, { count: number; wake: (() => void) | null }>();
const post = (reply: CheckReply) => parentPort!.postMessage(reply);

parentPort!.on('message', async (req: CheckRequest) => {
  if (req.type === 'cancel' || req.type === 'taken') {
    if (req.type === 'cancel') cancelled.add(req.id);
    const a = ahead.get(req.id);
    if (a) {
      a.count--;
      a.wake?.();
    }
    return;
  }
  const { id, job } = req;
  const a = { count: 0, wake: null as (() => void) | null };
  ahead.set(id, a);
  try {
    const file = Buffer.from(job.file.buffer, job.file.byteOffset, job.file.byteLength);
    for await (const message of checkSheet({ ...job, file })) {
      if (cancelled.has(id)) return;
      post({ id, message: message.kind === 'rows' ? { kind: 'packed', packed: packRows(message.rows) } : message });
      a.count++;
      // between slices, let a cancel or a "taken" from the import thread in; wait while too far ahead
      do {
        await new Promise<void>((resolve) => {
          a.wake = resolve;
          if (a.count < MAX_AHEAD || cancelled.has(id)) setImmediate(resolve);
        });
        a.wake = null;
      } while (a.count >= MAX_AHEAD && !cancelled.has(id));
    }
    post({ id, done: true });
  } catch (err) {
    post({ id, error: toThreadError(err) });
  } finally {
    cancelled.delete(id);
    ahead.delete(id);
  }
});
