// The check thread reads and validates an upload while the import thread writes: it runs ahead
// by a few slices only (memory stays bounded however slow the writer is), stops when the import
// thread stops reading, and its rows are exactly what checking in one thread gives.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { checkBacklog, checkInThread } from '../../src/spreadsheet/check-thread.ts';
import { checkSheet, FIRST_SLICE_ROWS, SLICE_ROWS, type CheckJob, type CheckMessage } from '../../src/spreadsheet/sheet-check.ts';

const ROWS = 12 * SLICE_ROWS;
const limits = loadConfig({ env: {}, overrides: { dataDir: '/nonexistent' } }).import;
const file = Buffer.from(['First Name,Last Name,Work Number',
  ...Array.from({ length: ROWS }, (_, i) => `F${i},L${i},${i % 1000 === 7 ? 'not a number' : `+1 469 555 ${String(i % 10_000).padStart(4, '0')}`}`)].join('\n'));
const job: CheckJob = { file, contentType: 'text/csv', limits: { ...limits, maxRows: ROWS }, region: 'US', mode: 'add', storedKeys: [] };
/** The check thread's bound on slices posted and not yet taken (MAX_AHEAD in check-worker.ts). */
const MAX_AHEAD = 4;
/** Waits for cond() by polling (the test's timeout bounds it): never a timing assertion. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}


describe('check thread', () => {
  it('gives the same messages as checking here', async () => {
    const here: CheckMessage[] = [];
    for await (const m of checkSheet(job)) here.push(m);
    const there: CheckMessage[] = [];
    for await (const m of checkInThread(job)) there.push(m);
    expect(there).toEqual(here);
    expect(there.filter((m) => m.kind === 'rows').flatMap((m) => (m.kind === 'rows' ? m.rows : []))).toHaveLength(ROWS);
    // a short first slice, so the import thread starts writing early; then full ones
    const sizes = there.flatMap((m) => (m.kind === 'rows' ? [m.rows.length] : []));
    expect(sizes[0]).toBe(FIRST_SLICE_ROWS);
    expect(Math.max(...sizes)).toBe(SLICE_ROWS);
  }, 60_000);

  it('runs only a few slices ahead of a slow reader, and stops when the reader leaves', async () => {
    let seen = 0;
    let most = 0;
    for await (const m of checkInThread(job)) {
      seen++;
      if (m.kind === 'rows' && seen === 2) {
        // A slow writer. No clock: wait for the check thread to get as far ahead as it may (it
        // must, whatever the load), then watch it stay there for a while (the file has 12
        // slices: unbounded, it would go on). A loaded machine can only make this watch
        // weaker, never fail it.
        await until(() => checkBacklog() >= MAX_AHEAD);
        for (let turn = 0; turn < 50; turn++) {
          most = Math.max(most, checkBacklog());
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      if (seen === 4) break;
    }
    expect(most).toBe(MAX_AHEAD);
    expect(checkBacklog()).toBe(0);
    // the thread is free for the next job at once
    let rows = 0;
    for await (const m of checkInThread(job)) if (m.kind === 'rows') rows += m.rows.length;
    expect(rows).toBe(ROWS);
  }, 60_000);

  it('reports a limit passed while reading as the API error it is', async () => {
    const small = { ...job, limits: { ...job.limits, maxRows: 100 } };
    await expect((async () => { for await (const _ of checkInThread(small)) { /* read on */ } })()).rejects.toMatchObject({ status: 413 });
  }, 60_000);
});
