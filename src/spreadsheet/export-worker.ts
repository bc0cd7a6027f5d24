// Entry of the export worker thread (started by export-thread.ts): each job is one export file,
// read through a read-only connection opened for it (one read transaction, so a write committed
// meanwhile is either all in the file or not at all) and closed after it.
import { NotFoundError } from '../errors.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { buildExport } from './export-service.ts';
import type { ExportReply, ExportRequest } from './export-thread.ts';
import { answerJobs } from './job-thread.ts';
import { runBehindMainThread } from './module-worker.ts';

runBehindMainThread();

answerJobs<ExportRequest, ExportReply>(async ({ dbFile, accountId, opts }) => {
  const store = openSqliteStore(dbFile, { readOnly: true });
  try {
    const account = store.getAccount(accountId);
    if (!account) throw new NotFoundError('Account');
    const file = await buildExport(store, account, opts);
    // moved to the main thread whole: a copy when the Buffer is a view of a larger one
    const own = file.body.byteOffset === 0 && file.body.byteLength === file.body.buffer.byteLength;
    const body = own ? new Uint8Array(file.body.buffer, 0, file.body.byteLength) : new Uint8Array(file.body);
    return { result: { ...file, body }, transfer: [body.buffer as ArrayBuffer] };
  } finally {
    store.close();
  }
});
