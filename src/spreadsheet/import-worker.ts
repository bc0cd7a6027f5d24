// Entry of the import worker thread (started by import-thread.ts): each message is one import,
// run against the SQLite file through this thread's own store connection, opened for the import
// and closed after it.
import { parentPort } from 'node:worker_threads';
import { AppError } from '../errors.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { importIntoStore } from './import-service.ts';
import type { WorkerReply, WorkerRequest } from './import-thread.ts';

parentPort!.on('message', async (req: WorkerRequest) => {
  let reply: WorkerReply;
  const store = openSqliteStore(req.dbFile);
  try {
    const report = await importIntoStore(store, req.job, Buffer.from(req.file.buffer, req.file.byteOffset, req.file.byteLength));
    reply = { id: req.id, ok: true, report };
  } catch (err) {
    const e = err as Error;
    reply = err instanceof AppError
      ? { id: req.id, ok: false, error: { app: true, status: err.status, code: err.code, message: err.message, details: err.details, ldapCode: err.ldapCode } }
      : { id: req.id, ok: false, error: { app: false, status: 500, code: 'internal', message: e?.message ?? String(err), details: [], ldapCode: 80, stack: e?.stack } };
  } finally {
    store.close();
  }
  parentPort!.postMessage(reply);
});
