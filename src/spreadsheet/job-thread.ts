// One worker thread that runs jobs one at a time, seen from both sides: JobThread on the main
// thread (started on the first job, unref'd so it never holds the process open, ended once idle
// for a while; jobs queue behind each other), answerJobs in the worker. Errors come back as the same AppError the
// code would have thrown in the main thread. The import and the export threads are two of these.
import { parentPort, type Transferable, type Worker } from 'node:worker_threads';
import { ServerBusyError } from '../errors.ts';
import { fromThreadError, startModuleWorker, toThreadError, type ThreadError } from './module-worker.ts';

/** A worker idle this long ends (see JobThread's idleMs). */
const DEFAULT_IDLE_MS = 60_000;

interface JobRequest<Job> { id: number; job: Job }
type JobReply<Result> = { id: number; ok: true; result: Result } | { id: number; ok: false; error: ThreadError };

export class JobThread<Job, Result> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: Result): void; reject(e: Error): void }>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Jobs accepted and not yet answered (the running one included). */
  private waiting = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  /**
   * module: the worker's entry, relative to callerUrl and without extension (startModuleWorker).
   * maxWaiting: jobs beyond this many unanswered ones are refused with ServerBusyError instead
   * of queueing without bound.
   * idleMs: the worker ends after this long without a job. A V8 heap keeps the memory its
   * largest job needed (an import of 200,000 rows, or a hostile workbook just under the limits:
   * hundreds of MB) long after the job; ending the thread gives it back. The next job starts a
   * new worker (a few hundred milliseconds).
   */
  constructor(
    private readonly callerUrl: string,
    private readonly module: string,
    private readonly name: string,
    private readonly maxWaiting = Infinity,
    private readonly idleMs = DEFAULT_IDLE_MS,
  ) {}

  /** The worker thread, while one is running (for tests: its 'exit' event). */
  get thread(): Worker | null {
    return this.worker;
  }

  /** True while the worker runs a job. */
  get running(): boolean {
    return this.pending.size > 0;
  }

  /** Runs `job` after the jobs before it; `transfer` moves those buffers to the worker instead of copying them. */
  run(job: Job, transfer: Transferable[] = []): Promise<Result> {
    if (this.waiting >= this.maxWaiting) return Promise.reject(new ServerBusyError(`${this.maxWaiting} ${this.name} jobs are already waiting`));
    this.waiting++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const start = () => new Promise<Result>((resolve, reject) => {
      const w = (this.worker ??= this.startWorker());
      const id = this.nextId++;
      // keep the process alive while a job runs, not while the worker idles
      const settle = () => { if (this.pending.size === 0) w.unref(); };
      this.pending.set(id, { resolve: (r) => { settle(); resolve(r); }, reject: (e) => { settle(); reject(e); } });
      w.ref();
      const req: JobRequest<Job> = { id, job };
      w.postMessage(req, transfer);
    });
    const result = this.queue.then(start, start).finally(() => {
      this.waiting--;
      if (this.waiting === 0) this.endWhenIdle();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private endWhenIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const w = this.worker;
      if (!w || this.waiting > 0) return;
      this.worker = null;
      void w.terminate();
    }, this.idleMs).unref();
  }

  private startWorker(): Worker {
    const w = startModuleWorker(this.callerUrl, this.module, `dialbook-${this.name}`);
    w.unref();
    w.on('message', (reply: JobReply<Result>) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(fromThreadError(reply.error, `${this.name} worker`));
    });
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the ${this.name} worker stopped (exit code ${code})`)));
    return w;
  }
}

/** What a worker's handler gives back: the result, buffers to move rather than copy, work to do once the reply is sent. */
export interface JobAnswer<Result> {
  result: Result;
  transfer?: Transferable[];
  afterReply?: () => void | Promise<void>;
}

/**
 * In the worker: answers each job with `handle`. JobThread sends the next job only once this one
 * is answered; a job that arrives while the previous one's after-reply work (a checkpoint, closing
 * its store: I/O on PostgreSQL) still runs waits for it, so jobs never overlap.
 */
export function answerJobs<Job, Result>(handle: (job: Job) => Promise<JobAnswer<Result>>): void {
  let previous: Promise<void> = Promise.resolve();
  const answerOne = async (req: JobRequest<Job>) => {
    let answer: JobAnswer<Result> | null = null;
    let reply: JobReply<Result>;
    try {
      answer = await handle(req.job);
      reply = { id: req.id, ok: true, result: answer.result };
    } catch (err) {
      reply = { id: req.id, ok: false, error: toThreadError(err) };
    }
    parentPort!.postMessage(reply, answer?.transfer ?? []);
    try {
      await answer?.afterReply?.();
    } catch {
      // after-reply work is housekeeping (a checkpoint): the next job does not depend on it
    }
  };
  parentPort!.on('message', (req: JobRequest<Job>) => {
    // a failure of one job (a reply that cannot be posted) must not stop the jobs after it
    previous = previous.then(() => answerOne(req)).catch(() => undefined);
  });
}
