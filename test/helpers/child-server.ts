// Runs the real `dialbook serve` command in a child process (for signals and resource limits that a
// test cannot apply to its own process), over a data folder the test seeded beforehand.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppContext } from '../../src/app-context.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { buildContext, closeContext } from '../../src/server.ts';
import { CLI_ARGS } from './cli.ts';
import { ADMIN_TOKEN } from './test-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ChildServer {
  child: ChildProcess;
  httpUrl: string;
  port: number;
  /** The LDAP port (0 when LDAP is off). */
  ldapPort: number;
  /** Exit code once the process ended (null when killed by a signal). */
  exited: Promise<number | null>;
  output(): string;
  kill(): void;
}

/** Seeds a fresh data folder through the real store, then closes it (the child opens it next). */
export async function seedDataDir(seed: (ctx: AppContext) => Promise<void> | void): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dialbook-child-'));
  const ctx = await buildContext(loadConfig({ env: {}, overrides: { dataDir, adminToken: ADMIN_TOKEN, log: { level: 'silent' } } }));
  try {
    await seed(ctx);
  } finally {
    await closeContext(ctx);
  }
  return dataDir;
}

export interface ChildOptions {
  shutdownGraceMs?: number;
  /** Largest file the process may write, in KiB (bash `ulimit -f`): a disk that fills up. */
  maxFileKib?: number;
}

export async function startChildServer(dataDir: string, o: ChildOptions = {}): Promise<ChildServer> {
  const configFile = join(dataDir, 'test-config.json');
  writeFileSync(configFile, JSON.stringify({
    http: { host: '127.0.0.1', port: 0, shutdownGraceMs: o.shutdownGraceMs ?? 10_000 },
    ldap: { host: '127.0.0.1', port: 0, failedBindDelayMs: 0 },
  }));
  const env = {
    ...process.env, DIALBOOK_DATA_DIR: dataDir, DIALBOOK_CONFIG: configFile, DIALBOOK_ADMIN_TOKEN: ADMIN_TOKEN, DIALBOOK_LOG_LEVEL: 'warn',
  };
  // From the sources, like the CLI tests (test/ops/compiled-start.test.ts covers the compiled start).
  const args = [...CLI_ARGS, 'serve'];
  const child = o.maxFileKib
    ? spawn('bash', ['-c', `ulimit -f ${o.maxFileKib} && exec "$0" "$@"`, process.execPath, ...args], { cwd: ROOT, env })
    : spawn(process.execPath, args, { cwd: ROOT, env });
  let out = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { out += String(d); });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const [port, ldapPort] = await new Promise<[number, number]>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /dialbook listening: HTTP http:\/\/localhost:(\d+)\/ {2}LDAP port (\d+|off)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res([Number(m[1]), m[2] === 'off' ? 0 : Number(m[2])]);
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => rej(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
  return {
    child, port, ldapPort, httpUrl: `http://127.0.0.1:${port}`, exited, output: () => out,
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
}

export interface SpawnedServer {
  child: ChildProcess;
  /** The port read from the server's output. */
  port: number;
  /** SIGTERM, then the exit code once it has exited. */
  stop(): Promise<number | null>;
}

/**
 * Starts any dialbook command line (compiled, packaged or from source) and waits until its
 * stderr shows `portLine` (its first group is the port). If it exits or stays silent first, it
 * is killed and the error carries what it printed.
 */
export async function spawnServer(args: string[], env: NodeJS.ProcessEnv, portLine: RegExp, timeoutMs = 90_000): Promise<SpawnedServer> {
  const child = spawn(process.execPath, args, { env });
  let err = '';
  child.stderr!.on('data', (d) => { err += String(d); });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  try {
    const port = await new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server did not start: ${err}`)), timeoutMs);
      void exited.then((code) => { clearTimeout(timer); rej(new Error(`server exited ${code}: ${err}`)); });
      child.stderr!.on('data', () => {
        const m = portLine.exec(err);
        if (m) { clearTimeout(timer); res(Number(m[1])); }
      });
    });
    return { child, port, stop: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); return exited; } };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}
