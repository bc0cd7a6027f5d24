// Starting a worker thread on one of our modules, and carrying errors across the thread line.
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, storageFailure } from '../errors.ts';

/**
 * A worker running `module` (given relative to the caller, without extension: the caller's own
 * extension is used, .ts under tsx/vitest, .js once compiled). Compiled JS starts the file
 * directly. From TypeScript sources a worker cannot load a .ts entry by itself (tsx issue #354:
 * loader hooks are not ready for a worker's entry module), so a two-line bootstrap registers
 * tsx's loader in the worker first, then imports the module.
 */
export function startModuleWorker(callerUrl: string, module: string, name: string): Worker {
  const ext = extname(fileURLToPath(callerUrl));
  const url = new URL(`${module}${ext}`, callerUrl);
  if (ext !== '.ts') return new Worker(url, { name });
  // tsx's ESM entry (the "import" condition of its "./esm/api" export; require.resolve gives the CJS one)
  const tsxApi = pathToFileURL(createRequire(callerUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { name, eval: true });
}

/** The nice value of the import's threads: below the main thread, which answers phones. */
export const IMPORT_THREAD_NICE = 10;

/**
 * Called first in an import's worker thread: phones before imports. On a small server the
 * import's two threads take both cores; at nice 10 the kernel gives the main thread (phones,
 * LDAP, the API) a core as soon as it has work, and the import everything else. Linux keeps a
 * nice value per thread (setpriority on a thread id: man 2 setpriority, "NOTES"); the thread's
 * id is the last part of /proc/thread-self. Elsewhere, or if refused, the thread keeps the
 * main thread's priority.
 */
export function runBehindMainThread(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, IMPORT_THREAD_NICE);
  } catch {
    // not Linux, or not allowed: same priority as the main thread
  }
}

/** An error as it crosses to another thread (structured clone keeps no class). */
export type ThreadError = {
  app: boolean; status: number; code: string; message: string; details: AppError['details']; ldapCode: number;
  retryAfterSeconds?: number; stack?: string;
  /** An AppError's cause (an internal failure behind a 4xx, for the log), as its stack text. */
  cause?: string;
};

/**
 * A storage failure (disk full, database locked) becomes its AppError here, in the thread that
 * has the SQLite error and its code: across the thread line only the message would be left, and
 * the answer a 500 instead of 507 or 503.
 */
export function toThreadError(err: unknown): ThreadError {
  const app = err instanceof AppError ? err : storageFailure(err);
  if (app) {
    const cause = app.cause instanceof Error ? app.cause.stack ?? app.cause.message : app.cause === undefined ? undefined : String(app.cause);
    return { app: true, status: app.status, code: app.code, message: app.message, details: app.details, ldapCode: app.ldapCode, retryAfterSeconds: app.retryAfterSeconds, cause };
  }
  const e = err as Error;
  return { app: false, status: 500, code: 'internal', message: e?.message ?? String(err), details: [], ldapCode: 80, stack: e?.stack };
}

/** The error again, as the AppError the code in the other thread threw (or a plain Error). */
export function fromThreadError(e: ThreadError, thread: string): Error {
  if (e.app) {
    const err = new AppError(e.status, e.code, e.message, e.details, e.ldapCode, e.retryAfterSeconds);
    if (e.cause !== undefined) err.cause = Object.assign(new Error(e.cause.split('\n')[0]), { stack: e.cause });
    return err;
  }
  return Object.assign(new Error(`${thread}: ${e.message}`), { stack: e.stack });
}
