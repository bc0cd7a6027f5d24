// The messages between a JobThread (main side, job-thread.ts) and its worker (job-worker.ts),
// and errors as they cross the thread line. One protocol for every long job: the import, the
// export and the import's check thread.
//
//   to the worker:   start (a job) · taken (one progress message was read: the worker may run
//                    one further ahead) · cancel (the reader left: stop at the next progress)
//   from the worker: progress (any number, in order) · then exactly one of result or error
//
// A worker that exits or fails fails every job it holds (JobThread's exit handling).
import { AppError, storageFailure } from '../errors.ts';

export type ToWorker<Job> =
  | { type: 'start'; id: number; job: Job }
  | { type: 'taken'; id: number }
  | { type: 'cancel'; id: number };

export type FromWorker<Progress, Result> =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'result'; id: number; result: Result }
  | { type: 'error'; id: number; error: ThreadError };

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
    // a storage failure mapped here keeps the driver's error as its cause, for the server's log
    const why = app === err ? app.cause : err;
    const cause = why instanceof Error ? why.stack ?? why.message : why === undefined ? undefined : String(why);
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
