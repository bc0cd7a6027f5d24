// A change written by ANOTHER process to the same database file reaches LDAP searches within
// the revision check interval (250 ms): the server's read model notices the account revision
// moved and applies the change feed. Polls a bounded number of times; asserts no timing.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ldapsearch } from '../ldap/ldap-helpers.ts';

const run = promisify(execFile);
const BASE = 'o=acme,dc=dialbook';
const PHONE = ['-D', `cn=phones,${BASE}`, '-w', 'phone-secret-1'];

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
  await seedAccount(srv.ctx, {
    id: 'acme',
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: [{ firstName: 'John', lastName: 'Smith', workNumber: '972 555 0110' }],
  });
});
afterAll(async () => { await srv.close(); });

function otherProcess(...args: string[]): Promise<string> {
  const script = fileURLToPath(new URL('./other-process-writer.ts', import.meta.url));
  return run(process.execPath, ['--import', 'tsx', script, join(srv.dataDir, 'dialbook.db'), 'acme', ...args], { timeout: 30_000 })
    .then((r) => r.stdout);
}

/** Searches until the answer satisfies done, at most 40 times (~4 s with the pauses). */
async function searchUntil(filter: string, done: (sns: string[]) => boolean): Promise<string[]> {
  let sns: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await ldapsearch(srv.ldapPort!, [...PHONE, '-b', BASE, filter, 'sn']);
    sns = r.entries.map((e) => e.attrs.sn[0]);
    if (done(sns)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return sns;
}

describe('changes from another process', () => {
  it('are found by the next searches: a create, then a delete', async () => {
    // the read model is built and freshly checked before the other process writes
    const first = await ldapsearch(srv.ldapPort!, [...PHONE, '-b', BASE, '(sn=*)', 'sn']);
    expect(first.entries.map((e) => e.attrs.sn[0])).toEqual(['Smith']);
    const builds = srv.ctx.directory.counts.builds;

    const id = await otherProcess('create', 'Crossproc', '2145550199');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const afterCreate = await searchUntil('(telephoneNumber=*2145550199)', (s) => s.length > 0);
    expect(afterCreate).toEqual(['Crossproc']);
    expect(await searchUntil('(sn=*)', (s) => s.length === 2)).toEqual(['Crossproc', 'Smith']);

    await otherProcess('delete', id);
    expect(await searchUntil('(sn=cross*)', (s) => s.length === 0)).toEqual([]);
    expect(await searchUntil('(sn=*)', (s) => s.length === 1)).toEqual(['Smith']);
    // applied through the change feed, not by reloading the account
    expect(srv.ctx.directory.counts.builds).toBe(builds);
    expect(srv.ctx.directory.counts.updates).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
