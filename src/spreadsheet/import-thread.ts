// The import worker thread, seen from the main thread: one worker, started on the first import
// and kept (unref'd, so it never holds the process open), runs one import at a time. It reads
// and plans on its own CPU time and writes through its own connection to the same SQLite file
// (WAL: the main thread's readers, i.e. phones, LDAP and the API, are never blocked by it), so the
// event loop stays free during an import. Errors come back as the same AppError the route would
// have thrown in-thread.
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Config } from '../config/config-schema.ts';
import { fromThreadError, startModuleWorker, type ThreadError } from './module-worker.ts';
import type { ImportJob, ImportReport } from './import-service.ts';

/** The store's file, as server.ts opens it. */
export function databaseFile(config: Config): string {
  return join(config.dataDir, 'dialbook.db');
}

export interface WorkerRequest { id: number; dbFile: string; job: ImportJob; file: Uint8Array }
export type WorkerReply =
  | { id: number; ok: true; report: ImportReport }
  | { id: number; ok: false; error: ThreadError };

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve(r: ImportReport): void; reject(e: Error): void }>();
let queue: Promise<unknown> = Promise.resolve();

function startWorker(): Worker {
  return watch(startModuleWorker(import.meta.url, './import-worker', 'dialbook-import'));
}

function watch(w: Worker): Worker {
  w.unref();
  w.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.report);
    else p.reject(fromThreadError(reply.error, 'import worker'));
  });
  const fail = (err: Error) => {
    worker = null;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the import worker stopped (exit code ${code})`)));
  return w;
}

/** True while the import worker runs an import (and may hold the database's write lock). */
export function importRunning(): boolean {
  return pending.size > 0;
}

/** Runs one import in the worker; imports queue behind each other (one writer at a time). */
export function runImportThread(dbFile: string, job: ImportJob, file: Buffer): Promise<ImportReport> {
  const run = () => new Promise<ImportReport>((resolve, reject) => {
    const w = (worker ??= startWorker());
    const id = nextId++;
    // keep the process alive while an import runs, not while the worker idles
    const settle = () => { if (pending.size === 0) w.unref(); };
    pending.set(id, { resolve: (r) => { settle(); resolve(r); }, reject: (e) => { settle(); reject(e); } });
    w.ref();
    // a copy of exactly the file's bytes (a Buffer may be a view of a larger pool)
    const req: WorkerRequest = { id, dbFile, job, file: new Uint8Array(file) };
    w.postMessage(req, [req.file.buffer as ArrayBuffer]);
  });
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}
