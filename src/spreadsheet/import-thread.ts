// The import worker thread, seen from the main thread: one worker (job-thread.ts) runs one import
// at a time. It reads and plans on its own CPU time and writes through its own connection to the
// same SQLite file (WAL: the main thread's readers, i.e. phones, LDAP and the API, are never
// blocked by it), so the event loop stays free during an import.
import type { ImportJob, ImportReport } from './import-service.ts';
import { JobThread } from './job-thread.ts';

export interface ImportRequest { dbFile: string; job: ImportJob; file: Uint8Array }

// Imports queue without a bound of their own: each is an authenticated manager's upload, already
// in memory, and one writer at a time is what SQLite allows anyway.
const thread = new JobThread<ImportRequest, ImportReport>(import.meta.url, './import-worker', 'import');

/** True while the import worker runs an import (and may hold the database's write lock). */
export function importRunning(): boolean {
  return thread.running;
}

/** Runs one import in the worker; imports queue behind each other (one writer at a time). */
export function runImportThread(dbFile: string, job: ImportJob, file: Buffer): Promise<ImportReport> {
  // a copy of exactly the file's bytes (a Buffer may be a view of a larger pool), moved over
  const bytes = new Uint8Array(file);
  return thread.run({ dbFile, job, file: bytes }, [bytes.buffer as ArrayBuffer]);
}
