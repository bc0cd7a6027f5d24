// Entry of the import worker thread (started by import-thread.ts): each job is one import, run
// through a store this thread opens from the database's locator for the import and closes after
// it. Rows are read and checked in the check thread (check-thread.ts) while this one plans and
// writes.
import { answerJobs } from '../jobs/job-worker.ts';
import { openStoreFor } from '../store/open-store.ts';
import { checkInThread } from './check-thread.ts';
import type { ImportReport } from './import-job.ts';
import { importIntoStore } from './import-service.ts';
import type { ImportRequest } from './import-thread.ts';

answerJobs<ImportRequest, ImportReport>(async ({ locator, job, file }) => {
  const db = await openStoreFor(locator);
  // After the reply: SQLite copies what is left in the WAL into the database file (a large
  // import emptied it before answering, see sqlite-async-store.ts), PostgreSQL has nothing left
  // to do. Housekeeping: a failure is left to the server's next commit.
  const release = async () => {
    try {
      await db.afterLargeWrite();
    } catch {
      // busy or failed: the server's own connection checkpoints at its next commit
    } finally {
      await db.close();
    }
  };
  try {
    const report = await importIntoStore(db, job, Buffer.from(file.buffer, file.byteOffset, file.byteLength), (check) => checkInThread(check, true), true);
    return { result: report, afterReply: release };
  } catch (err) {
    await release();
    throw err;
  }
});
