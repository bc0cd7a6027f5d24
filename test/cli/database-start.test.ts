// `dialbook serve` with database.url pointing at a PostgreSQL that is not there (issue 19): one
// clear line naming host and port, never the password, a non-zero exit, within the connect
// timeout; and nothing left listening. Needs no PostgreSQL: nothing answers on port 1, and a
// socket that accepts but never speaks stands in for a server that hangs.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'dialbook-dbstart-'));
  dirs.push(d);
  return d;
};
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function serveFails(url: string): Promise<{ code: number; stderr: string }> {
  try {
    await runCli(['serve'], { DIALBOOK_DATA_DIR: dataDir(), DIALBOOK_DATABASE_URL: url, DIALBOOK_DATABASE_CONNECT_TIMEOUT_MS: '1000', DIALBOOK_HTTP_PORT: '0', DIALBOOK_LDAP_PORT: '0' });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
  throw new Error('serve started although PostgreSQL is unreachable');
}

describe('serve with an unreachable PostgreSQL', () => {
  it('refused connection: exits non-zero with one line naming host and port, never the password', async () => {
    const r = await serveFails('postgres://dialbook:S3cret-Pw@127.0.0.1:1/dialbook');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Cannot reach PostgreSQL at 127\.0\.0\.1:1\b/);
    expect(r.stderr).not.toContain('S3cret-Pw');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a server that never answers: gives up at the connect timeout (runCli would time out at 120 s otherwise), naming it', async () => {
    const silent: Server = createServer(() => { /* accept, never speak */ });
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await serveFails(`postgres://dialbook:S3cret-Pw@127.0.0.1:${port}/dialbook`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`Cannot reach PostgreSQL at 127.0.0.1:${port}`);
      expect(r.stderr).not.toContain('S3cret-Pw');
    } finally {
      silent.close();
    }
  });
});
