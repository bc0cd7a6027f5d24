// The job-thread protocol over a real worker thread (sample-worker.ts): progress in order and
// bounded ahead of its reader, the result after it, an AppError arriving with every field, a
// reader that leaves cancelling its job, a worker that dies failing its jobs, and the next job
// starting a new worker after that.
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { JobThread } from '../../src/jobs/job-thread.ts';
import { SAMPLE_MAX_AHEAD, type SampleJob } from './sample-job.ts';

const thread = new JobThread<SampleJob, number, number>(import.meta.url, './sample-worker', { name: 'sample', maxWaiting: 4 });
afterAll(() => thread.terminate());

/** Waits for cond() by polling (the test's timeout bounds it): never a timing assertion. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

describe('job thread protocol', () => {
  it('streams progress in order, then the result', async () => {
    const seen: number[] = [];
    const it = thread.stream({ kind: 'count', to: 20 });
    let r = await it.next();
    while (!r.done) { seen.push(r.value); r = await it.next(); }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(r.value).toBe(20);
    expect(await thread.run({ kind: 'count', to: 50 })).toBe(50);
  }, 30_000);

  it('runs no further ahead of a slow reader than the worker allows, and a reader that leaves cancels the job', async () => {
    let most = 0;
    for await (const n of thread.stream({ kind: 'count', to: 1000 })) {
      if (n === 1) {
        await until(() => thread.backlog >= SAMPLE_MAX_AHEAD);
        for (let turn = 0; turn < 30; turn++) {
          most = Math.max(most, thread.backlog);
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      if (n === 5) break;
    }
    // a message counts as taken once the loop has it: the worker got that far ahead, and no further
    expect(most).toBe(SAMPLE_MAX_AHEAD);
    expect(thread.backlog).toBe(0);
    // the cancelled job ends in the worker; the next one runs whole
    expect(await thread.run({ kind: 'count', to: 10 })).toBe(10);
    expect(thread.running).toBe(false);
  }, 30_000);

  it('gives back an AppError with its status, code, details, LDAP code and Retry-After', async () => {
    const err = await thread.run({ kind: 'fail' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      status: 422, code: 'sample_failed', message: 'the sample job failed',
      details: [{ field: 'to', reason: 'too far' }], ldapCode: 19, retryAfterSeconds: 7,
    });
    const plain = await thread.run({ kind: 'throw-plain' }).catch((e: unknown) => e);
    expect(plain).not.toBeInstanceOf(AppError);
    expect((plain as Error).message).toBe('sample worker: not an AppError');
  }, 30_000);

  it('gives back a storage failure as 503 storage_unavailable, with the driver\'s error as its cause for the log', async () => {
    const err = await thread.run({ kind: 'lose-storage' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 503, code: 'storage_unavailable', retryAfterSeconds: 5 });
    expect(((err as AppError).cause as Error).message).toBe('Error: Connection terminated unexpectedly');
  }, 30_000);

  it('fails the jobs of a worker that exits, and starts a new worker for the next job', async () => {
    const before = thread.thread;
    const crash = thread.run({ kind: 'crash' });
    const queued = thread.run({ kind: 'count', to: 2 });
    await expect(crash).rejects.toThrow('the sample worker stopped (exit code 3)');
    expect(await queued).toBe(2);
    expect(thread.thread).not.toBe(before);
  }, 30_000);

  it('refuses jobs beyond maxWaiting with 503 instead of queueing them', async () => {
    const jobs = Array.from({ length: 4 }, () => thread.run({ kind: 'count', to: 100 }));
    await expect(thread.run({ kind: 'count', to: 1 })).rejects.toMatchObject({ status: 503, code: 'busy' });
    expect(await Promise.all(jobs)).toEqual([100, 100, 100, 100]);
  }, 30_000);

  it('terminate() ends the worker at once, failing the job it runs', async () => {
    const long = thread.run({ kind: 'count', to: 1e9 });
    await until(() => thread.running);
    const w = thread.thread!;
    const exited = once(w, 'exit');
    await thread.terminate();
    await exited;
    await expect(long).rejects.toThrow(/the sample worker stopped/);
    expect(thread.thread).toBeNull();
  }, 30_000);
});
