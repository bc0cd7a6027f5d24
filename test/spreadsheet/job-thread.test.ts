// The import worker thread ends once idle (JobThread's idleMs), giving back the heap its largest
// job grew (a hostile workbook just under the limits kept ~750 MB of RSS for good before), and the
// next job starts a new thread. Driven through the real import worker over a real database.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobThread } from '../../src/jobs/job-thread.ts';
import type { ImportReport } from '../../src/spreadsheet/import-job.ts';
import type { ImportRequest } from '../../src/spreadsheet/import-thread.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
  await seedAccount(srv.ctx, { id: 'acme' });
});
afterAll(async () => { await srv.close(); });

describe('job thread', () => {
  it('ends its worker once idle and starts a new one for the next job', async () => {
    const thread = new JobThread<ImportRequest, ImportReport>(
      new URL('../../src/spreadsheet/import-thread.ts', import.meta.url).href, './import-worker', { name: 'import', idleMs: 50 },
    );
    const job = (): [ImportRequest, ArrayBuffer[]] => {
      const file = new Uint8Array(Buffer.from('First Name,Work Number\nPat,2125550100\n'));
      return [{
        locator: srv.ctx.db.locator, file,
        job: { accountId: 'acme', contentType: 'text/csv', options: { dryRun: true }, actor: { id: 'test' }, limits: srv.ctx.config.import },
      }, [file.buffer as ArrayBuffer]];
    };
    expect((await thread.run(...job())).rows).toBe(1);
    const first = thread.thread;
    expect(first).not.toBeNull();
    await once(first!, 'exit');
    expect(thread.thread).toBeNull();
    expect((await thread.run(...job())).rows).toBe(1);
    expect(thread.thread).not.toBe(first);
    await once(thread.thread!, 'exit');
  }, 60_000);
});
