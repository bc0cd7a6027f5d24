// The import worker thread, seen from the main thread: one worker, started on the first import
// and kept (unref'd, so it never holds the process open), runs one import at a time. It reads
// and plans on its own CPU time and writes through its own connection to the same SQLite file
// (WAL: the main thread's readers, i.e. phones, LDAP and the API, are never blocked by it), so the
// event loop stays free during an import. Errors come back as the same AppError the route would
// have thrown in-thread.
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/config-schema.ts';
import { AppError } from '../errors.ts';
import type { ImportJob, ImportReport } from './import-service.ts';

/** The store's file, as server.ts opens it. */
export function databaseFile(config: Config): string {
  return join(config.dataDir, 'dialbook.db');
}

export interface WorkerRequest { id: number; dbFile: string; job: ImportJob; file: Uint8Array }
export type WorkerReply =
  | { id: number; ok: true; report: ImportReport }
  | { id: number; ok: false; error: { app: boolean; status: number; code: string; message: string; details: AppError['details']; ldapCode: number; stack?: string } };

// Same extension as this module: import-worker.ts under tsx/vitest, import-worker.js once compiled.
const EXT = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./import-worker${EXT}`, import.meta.url);

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve(r: ImportReport): void; reject(e: Error): void }>();
let queue: Promise<unknown> = Promise.resolve();

/**
 * Compiled JS starts the worker file directly. From TypeScript sources (development and tests
 * run under tsx or vitest) a worker cannot load a .ts entry by itself (tsx issue #354: loader
 * hooks are not ready for a worker's entry module), so a two-line bootstrap registers tsx's
 * loader in the worker first, then imports the same worker module.
 */
function startWorker(): Worker {
  const options = { name: 'dialbook-import' };
  if (EXT !== '.ts') return watch(new Worker(WORKER_URL, options));
  // tsx's ESM entry (the "import" condition of its "./esm/api" export; require.resolve gives the CJS one)
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return watch(new Worker(bootstrap, { ...options, eval: true }));
}

function watch(w: Worker): Worker {
  w.unref();
  w.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.report);
    else if (reply.error.app) p.reject(new AppError(reply.error.status, reply.error.code, reply.error.message, reply.error.details, reply.error.ldapCode));
    else p.reject(Object.assign(new Error(`import worker: ${reply.error.message}`), { stack: reply.error.stack }));
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
