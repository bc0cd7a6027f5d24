// A real PostgreSQL for a test file: initdb into a temp directory, a server on 127.0.0.1 at a
// free port, databases made on demand, everything stopped and removed after. Uses Debian's
// postgresql package (binaries under /usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run
// as root, so as root the server runs as the `postgres` system user that package creates, in a
// temp directory owned by it. Missing binaries: with CI=true the file fails, else it skips with
// one line naming the package (the convention of programs.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const DEBIAN_PACKAGE = 'postgresql';
let announced = false;

/** The newest installed PostgreSQL's bin directory, or null. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : null;
}

/** True when PostgreSQL is installed; else fails under CI=true, or prints one SKIP line and returns false. */
export function requirePostgres(): boolean {
  if (findPostgresBin()) return true;
  const line = `PostgreSQL not found under /usr/lib/postgresql: install the Debian package ${DEBIAN_PACKAGE} (apt-get install ${DEBIAN_PACKAGE}) to run these tests`;
  if (process.env.CI === 'true') throw new Error(`${line}. CI=true: missing programs fail instead of skipping.`);
  if (!announced) {
    announced = true;
    process.stderr.write(`SKIP ${line}\n`);
  }
  return false;
}

export interface TestPostgres {
  /** postgres://… for a database of this server (made by createDatabase). */
  url(database: string): string;
  /** Makes an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** A superuser connection to the maintenance database (for terminating backends and the like). */
  admin(): Promise<pg.Client>;
  /** Shuts the server down (fast: every session ends), keeping its data: PostgreSQL lost. */
  pause(): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** argv run as the postgres system user when we are root (PostgreSQL refuses root). */
function asServerUser(argv: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...argv] : argv;
}

export interface PostgresOptions {
  /** max_connections (default 100; a bench with several instances and their pools wants more). */
  maxConnections?: number;
  /** shared_buffers (default 32MB). */
  sharedBuffers?: string;
}

/** Also what the benches start (bench/lib/bench-db.ts, cluster-bench.ts): this file imports no test runner. */
export async function startPostgres(o: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL binaries not found (Debian package postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gw = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (pw.status !== 0) throw new Error('running as root and there is no postgres system user (the Debian package postgresql creates it)');
    chownSync(dir, Number(pw.stdout.trim()), Number(gw.stdout.trim()));
  }
  const superuser = process.getuid?.() === 0 ? 'postgres' : userInfo().username;
  const [initCmd, ...initArgs] = asServerUser([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', superuser, '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }

  let log = '';
  const launch = async (atPort: number): Promise<ChildProcess | null> => {
    // Durability off: a test database is thrown away; this keeps commits cheap on a shared machine.
    const [cmd, ...args] = asServerUser([join(bin, 'postgres'), '-D', data, '-p', String(atPort), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', `max_connections=${o.maxConnections ?? 100}`, '-c', `shared_buffers=${o.sharedBuffers ?? '32MB'}`]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    if (await ready(superuser, atPort, child)) return child;
    child.kill('SIGKILL');
    return null;
  };
  let server: ChildProcess | null = null;
  let port = 0;
  for (let attempt = 0; attempt < 3 && !server; attempt++) {
    port = await freePort();
    server = await launch(port);
  }
  if (!server) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${log.slice(-2000)}`);
  }
  let running = server;
  // A test process that dies without afterAll must not leave a server behind.
  const orphan = () => {
    try { process.kill(Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL'); } catch { /* gone */ }
  };
  process.once('exit', orphan);
  const shutDown = async () => {
    if (running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    // Fast shutdown (SIGINT ends every session) sent to the postmaster itself: runuser, when
    // it stands between, does not pass SIGINT on.
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    try { process.kill(postmaster, 'SIGINT'); } catch { running.kill('SIGINT'); }
    const kill = setTimeout(() => { try { process.kill(postmaster, 'SIGKILL'); } catch { /* gone */ } running.kill('SIGKILL'); }, 10_000);
    await exited;
    clearTimeout(kill);
  };
  const url = (database: string) => `postgres://${superuser}@127.0.0.1:${port}/${database}`;
  const admin = async () => {
    const c = new pg.Client({ connectionString: url('postgres') });
    await c.connect();
    return c;
  };
  return {
    url,
    admin,
    async createDatabase(name) {
      const c = await admin();
      try {
        await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async pause() {
      await shutDown();
    },
    async resume() {
      const again = await launch(port);
      if (!again) throw new Error(`PostgreSQL did not start again on port ${port}: ${log.slice(-2000)}`);
      running = again;
    },
    async stop() {
      await shutDown();
      process.off('exit', orphan);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the server takes connections (or exits). */
async function ready(user: string, port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) return false;
    const c = new pg.Client({ host: '127.0.0.1', port, user, database: 'postgres' });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}
