// Phonebook burst right after a restart (issue #10 item 4): an account of 8,622 contacts, a
// freshly started server (empty cache), then 2,000 phone fetches from 200 clients at once:
// Cisco and Aastra pages, Gigaset caller-ID lookups, and whole Yealink/Grandstream/Polycom
// files, in a fixed pseudo-random mix, fired once /readyz answers 200 (what a load balancer
// waits for). The same 2,000 URLs again give the warm figures.
// Loopback only, bounded in count; about half a minute. `npm run bench phonebook-burst`;
// BENCH_DATABASE=postgres (or both) runs it over a throwaway PostgreSQL (lib/bench-db.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newPathToken } from '../src/auth/phone-credentials.ts';
import { SecretBox } from '../src/auth/secret-box.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { benchDatabase, benchEngines, loadAverage, type BenchEngine } from './lib/bench-db.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';

const N = 8622;
const FETCHES = 2000;
const CLIENTS = 200;
const here = dirname(fileURLToPath(import.meta.url));
const AUTH = 'Basic ' + Buffer.from('phones:bench-password').toString('base64');

function get(port: number, path: string, agent: Agent): Promise<{ status: number; ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { Authorization: AUTH, 'Accept-Encoding': 'gzip' }, timeout: 120_000 }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes }));
    });
    req.on('timeout', () => { req.destroy(); resolve({ status: 0, ms: performance.now() - t0, bytes: 0 }); });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, bytes: 0 }));
    req.end();
  });
}

/** Waits for /readyz 200, as a load balancer does before it sends phones (the read models are
 *  built by then); /healthz only says the process listens. Returns the seconds it took. */
/** A port nothing listens on now: a random one in 43000-43999 once collided with a socket of the run itself (EADDRINUSE). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(port: number): Promise<number> {
  const agent = new Agent();
  const t0 = performance.now();
  for (let i = 0; i < 600; i++) {
    if ((await get(port, '/readyz', agent)).status === 200) return (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready on ${port} within 60 s`);
}

function urls(numbers: string[]): string[] {
  const rand = rng(11);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: FETCHES }, () => {
    const r = rand();
    if (r < 0.4) return `/phonebook/bench/cisco.xml?page=${1 + Math.floor(rand() * 400)}`;
    if (r < 0.6) return `/phonebook/bench/aastra.xml?page=${1 + Math.floor(rand() * 900)}`;
    if (r < 0.8) return `/phonebook/bench/gigaset.xml?command=get_list&type=pb&fn=*&ln=*&hm=${encodeURIComponent(pick(numbers))}&first=1&count=1&reqsrc=auto`;
    return pick(['/phonebook/bench/yealink.xml', '/phonebook/bench/grandstream/phonebook.xml', '/phonebook/bench/polycom/000000000000-directory.xml']);
  });
}

/** CPU seconds the server process has used (user + system), from /proc: a figure the other load on a shared machine does not inflate the way it inflates latency. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function burst(port: number, paths: string[], pid: number): Promise<string> {
  const cpu0 = cpuSeconds(pid);
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const t0 = performance.now();
  const results = await Promise.all(paths.map((p) => get(port, p, agent)));
  agent.destroy();
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const q = (f: number) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))];
  const failed = results.filter((r) => r.status !== 200).length;
  const statuses = new Map<number, number>();
  for (const r of results) if (r.status !== 200) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const why = [...statuses].map(([st, n]) => `${n} x ${st === 0 ? 'no answer' : `HTTP ${st}`}`).join(', ');
  return `${results.length} fetches, ${CLIENTS} clients: ${failed} failed${why ? ` (${why})` : ''}, p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${ms[ms.length - 1].toFixed(0)} ms, all done in ${((performance.now() - t0) / 1000).toFixed(1)} s, server CPU ${(cpuSeconds(pid) - cpu0).toFixed(1)} s`;
}

export async function run(): Promise<void> {
  for (const engine of benchEngines()) await runOn(engine);
}

async function runOn(engine: BenchEngine): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'dialbook-burst-bench-'));
  const db = await benchDatabase(engine, 'burst');
  let proc: ChildProcess | null = null;
  try {
    const dataDir = join(work, 'data');
    mkdirSync(dataDir);
    const store = await db.open(dataDir);
    await store.createAccount({ id: 'bench', name: 'Bench', region: 'US' }, { id: 'bench' });
    const rand = rng(3);
    const contacts = Array.from({ length: N }, (_, i) => fakeContact(i, rand));
    await store.applyBatch('bench', { source: 'shared' }, contacts.map((c) => ({ op: 'create' as const, contact: prepareContact(c, 'US') })), { id: 'bench' });
    await store.setPhoneCredentials('bench', { username: 'phones', secretSealed: SecretBox.forDataDir(dataDir).seal('bench-password'), pathToken: newPathToken() }, { id: 'bench' });
    await store.close();
    const port = await freePort();
    // BENCH_CPU_PROF=<dir>: the server writes a CPU profile there when it stops (node --cpu-prof)
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    proc = spawn(process.execPath, [...prof, join(here, '../bin/dialbook.js'), 'serve', '--http-port', String(port), '--ldap-port', '0'],
      { env: { ...process.env, DIALBOOK_DATA_DIR: dataDir, DIALBOOK_LOG_LEVEL: 'warn', ...db.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const readyAfter = await waitFor(port).catch((err: Error) => { throw new Error(`${err.message}; server stderr: ${stderr.slice(-2000)}`); });
    const paths = urls(contacts.map((c) => c.workNumber.replace(/\D/g, '')));
    // bin/dialbook.js is the server itself (tsx registers in-process), so its pid is the one to watch
    const pid = proc.pid ?? 0;
    console.log(`phonebook burst over ${engine === 'postgres' ? 'PostgreSQL' : 'SQLite'}: ${N} contacts; /readyz 200 ${readyAfter.toFixed(1)} s after spawn; ${loadAverage()} before`);
    console.log(`cold (right after start): ${await burst(port, paths, pid)}`);
    console.log(`warm (same URLs again):   ${await burst(port, paths, pid)}`);
    console.log(`after: ${loadAverage()}`);
  } finally {
    proc?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, process.env.BENCH_CPU_PROF ? 3000 : 500));
    await db.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
