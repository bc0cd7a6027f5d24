// Production runs compiled JavaScript: `npm run build` writes dist/, and bin/dialbook.js (what
// `npm start` runs) starts the server from it, with no TypeScript loader in the process.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../helpers/child-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'dialbook-compiled-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

beforeAll(async () => {
  // The same command `npm run build` (and so `npm ci`'s prepare) runs.
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.prepare).toBe('npm run build');
  await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: ROOT, timeout: 120_000 });
}, 130_000);

describe('compiled start', () => {
  it('builds every source file, and bin/dialbook.js serves /healthz from dist/', async () => {
    // Every module under src/ (worker files included) has its compiled twin.
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.filter((f) => !existsSync(join(ROOT, 'dist', f.replace(/\.ts$/, '.js'))))).toEqual([]);
    expect(readFileSync(join(ROOT, 'dist/server.js'), 'utf8')).not.toMatch(/from ["'][^"']+\.ts["']/);
    const server = await spawnServer([join(ROOT, 'bin/dialbook.js'), 'serve', '--http-port', '0', '--ldap-port', '0'],
      { PATH: process.env.PATH, DIALBOOK_DATA_DIR: dataDir, DIALBOOK_LOG_LEVEL: 'silent' }, /HTTP http:\/\/localhost:(\d+)\//);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 120_000);
});
