// Entry of the import worker thread (started by import-thread.ts): each job is one import, run
// against the SQLite file through this thread's own store connection, opened for the import and
// closed after it. Rows are read and checked in the check thread (check-thread.ts) while this one
// plans and writes.
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { checkInThread } from './check-thread.ts';
import { importIntoStore, type ImportReport } from './import-service.ts';
import type { ImportRequest } from './import-thread.ts';
import { answerJobs } from './job-thread.ts';
import { runBehindMainThread } from './module-worker.ts';

runBehindMainThread();

answerJobs<ImportRequest, ImportReport>(async ({ dbFile, job, file }) => {
  const store = openSqliteStore(dbFile, { deferCheckpoints: true });
  // The import's pages are copied from the WAL into the database file after the reply, not
  // inside its COMMIT: the manager's import is done when it is committed.
  const release = () => {
    try {
      store.checkpoint();
    } catch {
      // busy or failed: the server's own connection checkpoints at its next commit
    } finally {
      store.close();
    }
  };
  try {
    const report = await importIntoStore(store, job, Buffer.from(file.buffer, file.byteOffset, file.byteLength), checkInThread, true);
    return { result: report, afterReply: release };
  } catch (err) {
    release();
    throw err;
  }
});
