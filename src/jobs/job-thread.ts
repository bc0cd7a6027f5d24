// The main side of a job thread: one worker thread (its entry calls answerJobs, job-worker.ts)
// that runs long jobs one at a time, so the event loop keeps answering phones. Started on the
// first job, unref'd so it never holds the process open while idle, ended once idle for a while;
// jobs queue behind each other. Errors come back as the same AppError the code would have thrown
// here. The import, the export and the import's check thread are three of these.
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type Transferable } from 'node:worker_threads';
import { ServerBusyError } from '../errors.ts';
import { fromThreadError, type FromWorker, type ToWorker } from './job-protocol.ts';

/** A worker idle this long ends (see JobThreadOptions.idleMs). */
const DEFAULT_IDLE_MS = 60_000;

export interface JobThreadOptions {
  /** Names the thread (`dialbook-<name>`) and its errors. */
  name: string;
  /** Jobs beyond this many unanswered ones are refused with ServerBusyError instead of queueing without bound. */
  maxWaiting?: number;
  /**
   * The worker ends after this long without a job. A V8 heap keeps the memory its largest job
   * needed (an import of 200,000 rows, or a hostile workbook just under the limits: hundreds of
   * MB) long after the job; ending the thread gives it back. The next job starts a new worker
   * (a few hundred milliseconds).
   */
  idleMs?: number;
}

/** Where one job's messages go while it runs. */
interface Sink<Progress, Result> {
  progress(p: Progress): void;
  resolve(r: Result): void;
  reject(e: Error): void;
}

export class JobThread<Job, Result, Progress = never> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Sink<Progress, Result>>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Jobs accepted and not yet answered (the running one included). */
  private waiting = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private unread = 0;
  /** Jobs accepted and not yet sent to the worker: whether their reader left meanwhile. */
  private readonly queued = new Map<number, boolean>();
  private readonly name: string;
  private readonly maxWaiting: number;
  private readonly idleMs: number;

  /** module: the worker's entry, relative to callerUrl and without extension (see startModuleWorker). */
  constructor(private readonly callerUrl: string, private readonly module: string, options: JobThreadOptions) {
    this.name = options.name;
    this.maxWaiting = options.maxWaiting ?? Infinity;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** The worker thread, while one is running (for tests: its 'exit' event). */
  get thread(): Worker | null {
    return this.worker;
  }

  /** True while the worker runs a job. */
  get running(): boolean {
    return this.pending.size > 0;
  }

  /** Progress messages received and not yet read, over all jobs: what this thread holds unread. */
  get backlog(): number {
    return this.unread;
  }

  /** Runs `job` after the jobs before it; `transfer` moves those buffers to the worker instead of copying them. */
  run(job: Job, transfer: Transferable[] = []): Promise<Result> {
    return this.enqueue(job, transfer, (id) => ({ progress: () => this.post({ type: 'taken', id }) })).done;
  }

  /**
   * Runs `job` like run(), giving its progress messages as they come, then its result. The
   * worker runs only as far ahead of the reader as its answerJobs allows (maxAhead); leaving the
   * loop early cancels the job.
   */
  async *stream(job: Job, transfer: Transferable[] = []): AsyncGenerator<Progress, Result> {
    const inbox: Progress[] = [];
    let wake: (() => void) | null = null;
    let left = false;
    let end: { ok: true; result: Result } | { ok: false; error: Error } | null = null;
    const { id, done } = this.enqueue(job, transfer, () => ({
      progress: (p) => {
        if (left) return;
        inbox.push(p);
        this.unread++;
        wake?.();
      },
    }));
    done.then((result) => { end = { ok: true, result }; wake?.(); }, (error: Error) => { end = { ok: false, error }; wake?.(); });
    try {
      for (;;) {
        if (inbox.length === 0 && !end) await new Promise<void>((resolve) => { wake = resolve; });
        wake = null;
        if (inbox.length > 0) {
          const p = inbox.shift()!;
          this.unread--;
          this.post({ type: 'taken', id });
          yield p;
          continue;
        }
        const e = end!;
        if (e.ok) return e.result;
        throw e.error;
      }
    } finally {
      left = true;
      this.unread -= inbox.length;
      inbox.length = 0;
      if (!end) this.cancel(id);
    }
  }

  /** Ends the worker now (shutdown): the jobs it holds fail; the next job starts a new one. */
  async terminate(): Promise<void> {
    const w = this.worker;
    if (w) await w.terminate();
  }

  /** The job stops at its next progress message; one still queued here is never sent. */
  private cancel(id: number): void {
    if (this.pending.has(id)) this.post({ type: 'cancel', id });
    else if (this.queued.has(id)) this.queued.set(id, true);
  }

  private post(m: ToWorker<Job>, transfer: Transferable[] = []): void {
    if (m.type === 'start' || this.pending.has(m.id)) this.worker?.postMessage(m, transfer);
  }

  private enqueue(
    job: Job, transfer: Transferable[], sinkFor: (id: number) => Pick<Sink<Progress, Result>, 'progress'>,
  ): { id: number; done: Promise<Result> } {
    const id = this.nextId++;
    if (this.waiting >= this.maxWaiting) {
      return { id, done: Promise.reject(new ServerBusyError(`${this.maxWaiting} ${this.name} jobs are already waiting`)) };
    }
    this.waiting++;
    this.queued.set(id, false);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const start = () => new Promise<Result>((resolve, reject) => {
      const cancelled = this.queued.get(id);
      this.queued.delete(id);
      if (cancelled) return reject(new Error(`the ${this.name} job was cancelled before it started`));
      const w = (this.worker ??= this.startWorker());
      // keep the process alive while a job runs, not while the worker idles
      const settle = () => { if (this.pending.size === 0) w.unref(); };
      const sink = sinkFor(id);
      this.pending.set(id, {
        progress: sink.progress,
        resolve: (r) => { settle(); resolve(r); },
        reject: (e) => { settle(); reject(e); },
      });
      w.ref();
      this.post({ type: 'start', id, job }, transfer);
    });
    const done = this.queue.then(start, start).finally(() => {
      this.waiting--;
      if (this.waiting === 0) this.endWhenIdle();
    });
    this.queue = done.catch(() => undefined);
    return { id, done };
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
    w.on('message', (m: FromWorker<Progress, Result>) => {
      const sink = this.pending.get(m.id);
      if (!sink) return;
      if (m.type === 'progress') return sink.progress(m.progress);
      this.pending.delete(m.id);
      if (m.type === 'result') sink.resolve(m.result);
      else sink.reject(fromThreadError(m.error, `${this.name} worker`));
    });
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = null;
      const sinks = [...this.pending.values()];
      this.pending.clear();
      for (const sink of sinks) sink.reject(err);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the ${this.name} worker stopped (exit code ${code})`)));
    return w;
  }
}

/**
 * A worker running `module` (given relative to the caller, without extension: the caller's own
 * extension is used, .ts under tsx/vitest, .js once compiled). Compiled JS starts the file
 * directly. From TypeScript sources a worker cannot load a .ts entry by itself (tsx issue #354:
 * loader hooks are not ready for a worker's entry module), so a two-line bootstrap registers
 * tsx's loader in the worker first, then imports the module.
 */
function startModuleWorker(callerUrl: string, module: string, name: string): Worker {
  const ext = extname(fileURLToPath(callerUrl));
  const url = new URL(`${module}${ext}`, callerUrl);
  if (ext !== '.ts') return new Worker(url, { name });
  // tsx's ESM entry (the "import" condition of its "./esm/api" export; require.resolve gives the CJS one)
  const tsxApi = pathToFileURL(createRequire(callerUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { name, eval: true });
}
