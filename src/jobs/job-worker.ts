// The worker side of a job thread: answerJobs(handle) is all a worker entry calls. Jobs run one
// at a time, each answered with its progress messages, then its result or its error.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, type Transferable } from 'node:worker_threads';
import { toThreadError, type FromWorker, type ToWorker } from './job-protocol.ts';

/** The nice value of every job thread: below the main thread, which answers phones. */
export const JOB_THREAD_NICE = 10;

/** What a handler gives back: the result, buffers to move rather than copy, work to do once the reply is sent. */
export interface JobAnswer<Result> {
  result: Result;
  transfer?: Transferable[];
  afterReply?: () => void | Promise<void>;
}

/** What a handler may do while it runs: report progress (and wait while the reader is behind). */
export interface JobControl<Progress> {
  /**
   * Posts one progress message. Resolves once the reader is fewer than `maxAhead` messages
   * behind; between messages it lets a cancel in, and throws JobCancelled once the reader left.
   */
  progress(message: Progress, transfer?: Transferable[]): Promise<void>;
}

/** Thrown by progress() after the reader left: the handler ends, nobody reads its answer. */
export class JobCancelled extends Error {}

export interface AnswerOptions {
  /**
   * Progress messages posted and not yet taken by the reader, at most: a worker that produces
   * faster than its reader consumes would otherwise hold everything it made in memory, twice.
   */
  maxAhead?: number;
}

/**
 * Called first in a job thread: phones before long jobs. On a small server an import's two
 * threads take both cores; at nice 10 the kernel gives the main thread (phones, LDAP, the API) a
 * core as soon as it has work, and the jobs everything else. Linux keeps a nice value per thread
 * (setpriority on a thread id: man 2 setpriority, "NOTES"); the thread's id is the last part of
 * /proc/thread-self. Elsewhere, or if refused, the thread keeps the main thread's priority.
 */
function runBehindMainThread(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, JOB_THREAD_NICE);
  } catch {
    // not Linux, or not allowed: same priority as the main thread
  }
}

interface Running { cancelled: boolean; ahead: number; wake: (() => void) | null }

/**
 * In the worker: answers each job with `handle`. JobThread sends the next job only once this one
 * is answered; a job that arrives while the previous one's after-reply work (a checkpoint, closing
 * its store: I/O on PostgreSQL) still runs waits for it, so jobs never overlap.
 */
export function answerJobs<Job, Result, Progress = never>(
  handle: (job: Job, control: JobControl<Progress>) => Promise<JobAnswer<Result>>,
  { maxAhead = Infinity }: AnswerOptions = {},
): void {
  runBehindMainThread();
  const port = parentPort!;
  const post = (m: FromWorker<Progress, Result>, transfer: Transferable[] = []) => port.postMessage(m, transfer);
  const jobs = new Map<number, Running>();
  let previous: Promise<void> = Promise.resolve();

  const answerOne = async (id: number, job: Job, run: Running) => {
    const control: JobControl<Progress> = {
      async progress(message, transfer) {
        if (run.cancelled) throw new JobCancelled();
        post({ type: 'progress', id, progress: message }, transfer);
        run.ahead++;
        // let a cancel or a "taken" in; wait while too far ahead
        do {
          await new Promise<void>((resolve) => {
            run.wake = resolve;
            if (run.ahead < maxAhead || run.cancelled) setImmediate(resolve);
          });
          run.wake = null;
        } while (run.ahead >= maxAhead && !run.cancelled);
        if (run.cancelled) throw new JobCancelled();
      },
    };
    let answer: JobAnswer<Result> | null = null;
    try {
      if (run.cancelled) throw new JobCancelled();
      answer = await handle(job, control);
      post({ type: 'result', id, result: answer.result }, answer.transfer);
    } catch (err) {
      post({ type: 'error', id, error: toThreadError(err) });
    } finally {
      jobs.delete(id);
    }
    try {
      await answer?.afterReply?.();
    } catch {
      // after-reply work is housekeeping (a checkpoint): the next job does not depend on it
    }
  };

  port.on('message', (m: ToWorker<Job>) => {
    if (m.type !== 'start') {
      const run = jobs.get(m.id);
      if (!run) return; // answered already
      if (m.type === 'cancel') run.cancelled = true;
      else run.ahead--;
      run.wake?.();
      return;
    }
    const run: Running = { cancelled: false, ahead: 0, wake: null };
    jobs.set(m.id, run);
    // a failure of one job (a reply that cannot be posted) must not stop the jobs after it
    previous = previous.then(() => answerOne(m.id, m.job, run)).catch(() => undefined);
  });
}
