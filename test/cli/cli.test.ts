// The dialbook command: first start, admin commands, online backup and a clean SIGTERM stop.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ARGS, runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'dialbook-cli-'));
const env = { ...process.env, DIALBOOK_DATA_DIR: dir, DIALBOOK_LOG_LEVEL: 'silent' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = async (...args: string[]) => (await runCli(args, env)).stdout;

function startServe(extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...CLI_ARGS, 'serve', '--http-port', '0', '--ldap-port', '0', '--demo'], { env: { ...env, ...extraEnv } });
  let err = '';
  child.stderr.on('data', (d) => { err += String(d); });
  const ready = new Promise<number>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`server did not start: ${err}`)), 120_000);
    child.stderr.on('data', () => {
      const m = /HTTP http:\/\/localhost:(\d+)\//.exec(err);
      if (m) { clearTimeout(t); res(Number(m[1])); }
    });
  });
  return { child, ready, stderr: () => err };
}

describe('dialbook CLI', () => {
  it('creates the admin token on first start (0600), loads the demo, and stops cleanly on SIGTERM', async () => {
    const s = startServe();
    const port = await s.ready;
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(s.stderr()).toContain(token);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/accounts/demo/contacts?limit=1`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { total: number }).total).toBe(8);
    const code = await new Promise<number | null>((r) => { s.child.on('exit', r); s.child.kill('SIGTERM'); });
    expect(code).toBe(0);
    // a second start neither prints nor replaces the token
    const again = startServe();
    await again.ready;
    expect(again.stderr()).not.toContain('shown once');
    expect(readFileSync(join(dir, 'admin-token'), 'utf8').trim()).toBe(token);
    await new Promise((r) => { again.child.on('exit', r); again.child.kill('SIGTERM'); });
  }, 180_000);

  it('manages accounts, users and tokens, and backs up the database', async () => {
    const account = JSON.parse(await cli('account', 'create', 'cli-co', 'CLI Co', '--region', 'CA'));
    expect(account).toMatchObject({ id: 'cli-co', region: 'CA' });
    await cli('user', 'create', 'cli-co', 'meg', 'Meg Manager', '--scope', 'office_manager', '--extension', '200');
    const token = JSON.parse(await cli('token', 'create', 'cli-co', 'meg'));
    expect(token.token).toMatch(/^dbk_/);
    await expect(cli('account', 'create', 'cli-co', 'Again')).rejects.toThrow(/already exists/);
    const backup = join(dir, 'backup');
    await cli('backup', backup);
    const db = new Database(join(backup, 'dialbook.db'), { readonly: true });
    const ids = db.prepare('SELECT id FROM accounts ORDER BY id').all().map((r) => (r as { id: string }).id);
    const hashes = db.prepare('SELECT token_hash FROM api_tokens').all().map((r) => (r as { token_hash: string }).token_hash);
    db.close();
    expect(ids).toEqual(['cli-co', 'demo']);
    // export the demo account, import it into the new account, export again: same rows
    const csv = join(dir, 'demo.csv');
    await cli('export', 'demo', csv);
    const report = JSON.parse(await cli('import', 'cli-co', csv));
    expect(report.counts.created).toBe(8);
    const again = JSON.parse(await cli('import', 'cli-co', join(dir, 'demo.csv'), '--mode', 'upsert', '--dry-run'));
    expect(again.counts.created).toBe(0);
    expect(hashes).not.toContain(token.token);
  }, 180_000);

  it('checks the configuration, naming a bad environment variable, and prints the variable table', async () => {
    expect(await cli('config', 'check')).toContain(`data dir ${dir}`);
    await expect(runCli(['config', 'check'], { ...env, DIALBOOK_LDAP_MAX_CONNECTIONS: 'lots' })).rejects.toThrow(/dialbook: Invalid configuration \(environment\): DIALBOOK_LDAP_MAX_CONNECTIONS/);
    expect(await cli('config', 'env')).toMatch(/\| `DIALBOOK_LDAP_MAX_CONNECTIONS` \| `ldap\.maxConnections` \| number \| `5000` \|/);
  }, 180_000);
});
