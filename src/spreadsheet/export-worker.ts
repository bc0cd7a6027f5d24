// Entry of the export worker thread (started by export-thread.ts): each job is one export file,
// read through a read-only store opened for it from the database's locator (the contacts in one
// read, so a write committed meanwhile is either all in the file or not at all) and closed after it.
import { NotFoundError } from '../errors.ts';
import { answerJobs } from '../jobs/job-worker.ts';
import { openStoreFor } from '../store/open-store.ts';
import { buildExport } from './export-service.ts';
import type { ExportReply, ExportRequest } from './export-thread.ts';

answerJobs<ExportRequest, ExportReply>(async ({ locator, accountId, opts }) => {
  const db = await openStoreFor(locator, { readOnly: true });
  try {
    const account = await db.getAccount(accountId);
    if (!account) throw new NotFoundError('Account');
    const file = await buildExport(db, account, opts);
    // moved to the main thread whole: a copy when the Buffer is a view of a larger one
    const own = file.body.byteOffset === 0 && file.body.byteLength === file.body.buffer.byteLength;
    const body = own ? new Uint8Array(file.body.buffer, 0, file.body.byteLength) : new Uint8Array(file.body);
    return { result: { ...file, body }, transfer: [body.buffer as ArrayBuffer] };
  } finally {
    await db.close();
  }
});
