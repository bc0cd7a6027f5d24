// Entry of the check thread (started by check-thread.ts from the import thread): reads an upload
// and checks its rows (sheet-check.ts), posting each message as it is made, so the import thread
// plans and writes the first slices while this one checks the next.
import { parentPort } from 'node:worker_threads';
import { toThreadError } from './module-worker.ts';
import { checkSheet } from './sheet-check.ts';
import type { CheckReply, CheckRequest } from './check-thread.ts';

const cancelled = new Set<number>();
const post = (reply: CheckReply) => parentPort!.postMessage(reply);

parentPort!.on('message', async (req: CheckRequest) => {
  if (req.type === 'cancel') {
    cancelled.add(req.id);
    return;
  }
  const { id, job } = req;
  try {
    const file = Buffer.from(job.file.buffer, job.file.byteOffset, job.file.byteLength);
    for await (const message of checkSheet({ ...job, file })) {
      if (cancelled.has(id)) return;
      post({ id, message });
      // between slices, let a cancel from the import thread in
      await new Promise((resolve) => setImmediate(resolve));
    }
    post({ id, done: true });
  } catch (err) {
    post({ id, error: toThreadError(err) });
  } finally {
    cancelled.delete(id);
  }
});
