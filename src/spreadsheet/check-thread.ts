// The check thread, seen from the import thread: one worker, started on the first import and
// kept, reads and checks uploads (check-worker.ts) and streams the messages back. The import
// thread plans and writes slice k while this thread checks slice k+1: the two cores of a small
// server both work on a large import.
import type { Worker } from 'node:worker_threads';
import { fromThreadError, startModuleWorker, type ThreadError } from './module-worker.ts';
import { unpackRows, type PackedRows } from './checked-row-codec.ts';
import type { CheckJob, CheckMessage } from './sheet-check.ts';

export type CheckRequest =
  | { type: 'check'; id: number; job: Omit<CheckJob, 'file'> & { file: Uint8Array } }
  /** The import thread took a message: the check thread may run one further ahead. */
  | { type: 'taken'; id: number }
  | { type: 'cancel'; id: number };
/** A message as it crosses threads: rows packed (checked-row-codec.ts). */
export type WireMessage = Exclude<CheckMessage, { kind: 'rows' }> | { kind: 'packed'; packed: PackedRows };
export type CheckReply =
  | { id: number; message: WireMessage }
  | { id: number; done: true }
  | { id: number; error: ThreadError };

type Listener = (reply: CheckReply | { id: number; failed: Error }) => void;

let worker: Worker | null = null;
let nextId = 1;
const listeners = new Map<number, Listener>();
/** Replies received and not yet taken, per job (bounded by the check thread's MAX_AHEAD). */
const backlog = new Map<number, number>();

/** Replies waiting to be taken, over all jobs: what the import thread holds in memory unread. */
export function checkBacklog(): number {
  let n = 0;
  for (const v of backlog.values()) n += v;
  return n;
}

function checkWorker(): Worker {
  if (worker) return worker;
  const w = startModuleWorker(import.meta.url, './check-worker', 'dialbook-import-check');
  w.unref();
  w.on('message', (reply: CheckReply) => listeners.get(reply.id)?.(reply));
  const fail = (err: Error) => {
    worker = null;
    for (const [id, listener] of listeners) listener({ id, failed: err });
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the import check thread stopped (exit code ${code})`)));
  return (worker = w);
}

/** The messages of checkSheet(job), made in the check thread. Leaving the loop early cancels the rest. */
export async function* checkInThread(job: CheckJob): AsyncGenerator<CheckMessage> {
  const w = checkWorker();
  const id = nextId++;
  const queue: (CheckReply | { id: number; failed: Error })[] = [];
  let wake: (() => void) | null = null;
  listeners.set(id, (reply) => {
    queue.push(reply);
    backlog.set(id, queue.length);
    wake?.();
  });
  w.ref();
  let finished = false;
  try {
    // a copy of exactly the file's bytes (a Buffer may be a view of a larger pool), moved across
    const file = new Uint8Array(job.file);
    const req: CheckRequest = { type: 'check', id, job: { ...job, file } };
    w.postMessage(req, [file.buffer as ArrayBuffer]);
    for (;;) {
      if (queue.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
      wake = null;
      const reply = queue.shift()!;
      backlog.set(id, queue.length);
      if ('failed' in reply) { finished = true; throw reply.failed; }
      if ('error' in reply) { finished = true; throw fromThreadError(reply.error, 'import check thread'); }
      if ('done' in reply) { finished = true; return; }
      w.postMessage({ type: 'taken', id } satisfies CheckRequest);
      const m = reply.message;
      yield m.kind === 'packed' ? { kind: 'rows', rows: unpackRows(m.packed) } : m;
    }
  } finally {
    listeners.delete(id);
    backlog.delete(id);
    if (!finished && worker === w) w.postMessage({ type: 'cancel', id } satisfies CheckRequest);
    if (listeners.size === 0) w.unref();
  }
}
