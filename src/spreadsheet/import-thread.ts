// The import worker thread, seen from the main thread: a job thread (src/jobs/) that runs one
// import at a time. It reads and plans on its own CPU time and writes through a store of its own,
// opened from the database's locator (SQLite: its own connection to the file, in WAL mode, so
// the main thread's readers, i.e. phones, LDAP and the API, are never blocked by it; PostgreSQL:
// its own pool), so the event loop stays free during an import.
import { JobThread } from '../jobs/job-thread.ts';
import { movableBytes } from '../jobs/movable-bytes.ts';
import type { StoreLocator } from '../store/async-store.ts';
import type { ImportJob, ImportReport } from './import-job.ts';

export interface ImportRequest { locator: StoreLocator; job: ImportJob; file: Uint8Array }

// Imports queue without a bound of their own: each is an authenticated manager's upload, already
// in memory, and one writer per account at a time is what the store allows anyway.
const thread = new JobThread<ImportRequest, ImportReport>(import.meta.url, './import-worker', { name: 'import' });

/** True while the import worker runs an import (and may hold the database's write lock). */
export function importRunning(): boolean {
  return thread.running;
}

/**
 * Runs one import in the worker; imports queue behind each other (one writer at a time). The
 * file's memory moves to the worker (`file` is empty afterwards): an upload of a million rows is
 * 52 MB, and each copy of it stays in RSS as long as the import runs.
 */
export function runImportThread(locator: StoreLocator, job: ImportJob, file: Buffer): Promise<ImportReport> {
  const bytes = movableBytes(file);
  return thread.run({ locator, job, file: bytes }, [bytes.buffer as ArrayBuffer]);
}

