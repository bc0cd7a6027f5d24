// Several dialbook instances over one PostgreSQL behind HAProxy, all on loopback: what the cluster
// test (test/cluster/) and `npm run bench cluster` drive (no test runner imported here). PostgreSQL comes from test/helpers/postgres.ts, HAProxy
// runs packaging/haproxy.cfg itself (the file operators get), with addresses from the environment.
// Instances run from the sources like the other child-process tests, each with its own data dir
// and the same secrets key and admin token, as docker-compose.yml sets them up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLI_ARGS } from './cli.ts';
import { startPostgres, type PostgresOptions, type TestPostgres } from './postgres.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const CLUSTER_ADMIN_TOKEN = 'cluster-admin-token-0123456789abcdef';

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export interface Instance {
  name: string;
  httpPort: number;
  ldapPort: number;
  httpUrl: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: the instance dies mid-request, as a crashed host does. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export interface Cluster {
  pg: TestPostgres;
  databaseUrl: string;
  instances: Instance[];
  /** Through HAProxy. */
  httpUrl: string;
  ldapPort: number;
  /** Starts (again) an instance by name, on the same ports. */
  start(name: string): Promise<Instance>;
  haproxyOutput(): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  names?: string[];
  /** Extra configuration for every instance (the config file's JSON). */
  config?: Record<string, unknown>;
  haproxy?: boolean;
  postgres?: PostgresOptions;
}

function waitFor(pred: () => boolean, what: string, out: () => string, timeoutMs = 60_000): Promise<void> {
  return new Promise((res, rej) => {
    const started = Date.now();
    const tick = () => {
      if (pred()) return res();
      if (Date.now() - started > timeoutMs) return rej(new Error(`${what} did not happen within ${timeoutMs} ms:\n${out()}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const pg = await startPostgres(o.postgres);
  const databaseUrl = await pg.createDatabase('dialbook_cluster');
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-cluster-'));
  const keyFile = join(dir, 'secret.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  const names = o.names ?? ['a', 'b', 'c'];
  const ports = new Map<string, { http: number; ldap: number }>();
  for (const n of names) ports.set(n, { http: await freePort(), ldap: await freePort() });

  const start = async (name: string): Promise<Instance> => {
    const p = ports.get(name)!;
    const dataDir = join(dir, name);
    const configFile = join(dir, `${name}.json`);
    writeFileSync(configFile, JSON.stringify({
      http: { host: '127.0.0.1', port: p.http, shutdownGraceMs: 2000, trustProxy: 'loopback' },
      ldap: { host: '127.0.0.1', port: p.ldap, failedBindDelayMs: 0 },
      ...o.config,
    }));
    const child = spawn(process.execPath, [...CLI_ARGS, 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env, DIALBOOK_DATA_DIR: dataDir, DIALBOOK_CONFIG: configFile, DIALBOOK_ADMIN_TOKEN: CLUSTER_ADMIN_TOKEN,
        DIALBOOK_LOG_LEVEL: 'warn', DIALBOOK_DATABASE_URL: databaseUrl, DIALBOOK_SECRET_KEY_FILE: keyFile,
      },
    });
    let out = '';
    child.stdout!.on('data', (d) => { out += String(d); });
    child.stderr!.on('data', (d) => { out += String(d); });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    let gone = false;
    void exited.then(() => { gone = true; });
    await waitFor(() => gone || /dialbook listening/.test(out), `instance ${name} start`, () => out);
    if (gone) throw new Error(`instance ${name} exited before listening:\n${out}`);
    const inst: Instance = {
      name, httpPort: p.http, ldapPort: p.ldap, httpUrl: `http://127.0.0.1:${p.http}`, child, output: () => out,
      kill: async () => { if (!gone) child.kill('SIGKILL'); await exited; },
      stop: async () => { if (!gone) child.kill('SIGTERM'); return exited; },
    };
    return inst;
  };

  const instances: Instance[] = [];
  try {
    // One after another would hide the race the advisory lock is for: start them together.
    instances.push(...await Promise.all(names.map(start)));
  } catch (err) {
    for (const i of instances) await i.kill();
    await pg.stop();
    throw err;
  }

  let haproxy: ChildProcess | null = null;
  let haOut = '';
  const httpPort = await freePort();
  const ldapPort = await freePort();
  if (o.haproxy !== false) {
    const env: NodeJS.ProcessEnv = { ...process.env, DIALBOOK_HTTP_BIND: `127.0.0.1:${httpPort}`, DIALBOOK_LDAP_BIND: `127.0.0.1:${ldapPort}` };
    for (const [i, n] of ['A', 'B', 'C'].entries()) {
      const p = ports.get(names[i % names.length])!;
      Object.assign(env, { [`DIALBOOK_${n}_HOST`]: '127.0.0.1', [`DIALBOOK_${n}_HTTP`]: String(p.http), [`DIALBOOK_${n}_LDAP`]: String(p.ldap) });
    }
    haproxy = spawn('haproxy', ['-db', '-f', join(ROOT, 'packaging/haproxy.cfg')], { env });
    haproxy.stdout!.on('data', (d) => { haOut += String(d); });
    haproxy.stderr!.on('data', (d) => { haOut += String(d); });
    // Ready when every server has passed its /readyz check once.
    await waitFor(() => (haOut.match(/is UP/g) ?? []).length >= 0 && /Proxy dialbook_ldap started|Loading success/.test(haOut) || haOut.length > 0, 'haproxy start', () => haOut, 10_000)
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2500)); // rise 2 x inter 1s
  }

  return {
    pg, databaseUrl, instances, httpUrl: `http://127.0.0.1:${httpPort}`, ldapPort,
    start: async (name) => {
      const inst = await start(name);
      const i = instances.findIndex((x) => x.name === name);
      if (i >= 0) instances[i] = inst; else instances.push(inst);
      return inst;
    },
    haproxyOutput: () => haOut,
    stop: async () => {
      haproxy?.kill('SIGTERM');
      await Promise.all(instances.map((i) => i.stop()));
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
