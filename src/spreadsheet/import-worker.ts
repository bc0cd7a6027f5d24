// Entry of the import worker thread (started by import-thread.ts): each message is one import,
// run against the SQLite file through this thread's own store connection, opened for the import
// and closed after it. Rows are read and checked in the check thread (check-thread.ts) while
// this one plans and writes.
import { parentPort } from 'node:worker_threads';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { checkInThread } from './check-thread.ts';
import { importIntoStore } from './import-service.ts';
import type { WorkerReply, WorkerRequest } from './import-thread.ts';
import { runBehindMainThread, toThreadError } from './module-worker.ts';

runBehindMainThread();

parentPort!.on('message', async (req: WorkerRequest) => {
  let reply: WorkerReply;
  // The import's pages are copied from the WAL into the database file after the reply, not
  // inside its COMMIT: the manager's import is done when it is committed.
  const store = openSqliteStore(req.dbFile, { deferCheckpoints: true });
  try {
    const file = Buffer.from(req.file.buffer, req.file.byteOffset, req.file.byteLength);
    const report = await importIntoStore(store, req.job, file, checkInThread, true);
    reply = { id: req.id, ok: true, report };
  } catch (err) {
    reply = { id: req.id, ok: false, error: toThreadError(err) };
  }
  parentPort!.postMessage(reply);
  try {
    store.checkpoint();
  } catch {
    // busy or failed: the server's own connection checkpoints at its next commit
  } finally {
    store.close();
  }
});
