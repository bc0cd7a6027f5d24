// Phonebook benchmark (issue 3): an account of 10,000 contacts; full Yealink phonebook GETs and
// conditional GETs (304) with wrk against dialbook and against nginx serving the identical bytes
// as a static file, in the same run, both servers pinned to core 1 and wrk to core 0. Then a
// burst of 2,000 phones fetching at once. Needs Debian's nginx and wrk (installed if missing).
// BENCH_DATABASE=both measures dialbook over SQLite and over PostgreSQL (unpinned) against the same nginx.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newPathToken } from '../src/auth/phone-credentials.ts';
import { SecretBox } from '../src/auth/secret-box.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { benchDatabase, benchEngines, loadAverage, type BenchDatabase, type BenchEngine } from './lib/bench-db.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';
import { ensureDebianTools } from './lib/debian-tools.ts';

const N = 10_000;
const here = dirname(fileURLToPath(import.meta.url));
const AUTH = 'Basic ' + Buffer.from('phones:bench-password').toString('base64');

interface WrkResult { rps: number; p99ms: number; errors: string }

function wrk(url: string, headers: string[]): WrkResult {
  const args = ['-c', '0', 'wrk', '-t1', '-c32', '-d10s', '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const out = execFileSync('taskset', args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
  const errors = /(Non-2xx or 3xx responses: \d+|Socket errors:[^\n]+)/.exec(out)?.[1] ?? 'none';
  return { rps, p99ms, errors };
}

function fetchOnce(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer; etag: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), etag: String(res.headers.etag ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits for path to answer 200: dialbook's /readyz, as a load balancer does before it sends
 *  phones (read models built, phonebooks made ahead; /healthz only says the process listens). */
async function waitFor(port: number, path = '/readyz'): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetchOnce(port, path, {})).status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready on ${port} within 60 s`);
}

/** 2,000 phones at once, each on its own connection; every one must get the full phonebook. */
async function burst(port: number, path: string, expectedBytes: number): Promise<string> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: 2000 }, () => new Promise<string>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { Authorization: AUTH }, timeout: 30_000 }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => resolve(res.statusCode === 200 && n === expectedBytes ? 'ok' : `status ${res.statusCode}, ${n} bytes`));
    });
    req.on('timeout', () => { req.destroy(); resolve('timeout'); });
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  })));
  const failed = results.filter((r) => r !== 'ok');
  return `burst of 2000 concurrent fetches: ${results.length - failed.length} ok, ${failed.length} failed${failed.length ? ` (${[...new Set(failed)].slice(0, 3).join('; ')})` : ''}, ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

/** A data dir with the bench account (N contacts, phone credentials) in the engine's database. */
async function seed(dataDir: string, db: BenchDatabase): Promise<void> {
  const store = await db.open(dataDir);
  try {
    await store.createAccount({ id: 'bench', name: 'Bench', region: 'US' }, { id: 'bench' });
    const rand = rng(3);
    await store.applyBatch('bench', { source: 'shared' }, Array.from({ length: N }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeContact(i, rand), 'US') })), { id: 'bench' });
    await store.setPhoneCredentials('bench', { username: 'phones', secretSealed: SecretBox.forDataDir(dataDir).seal('bench-password'), pathToken: newPathToken() }, { id: 'bench' });
  } finally {
    await store.close();
  }
}

const engineName = (e: BenchEngine) => (e === 'postgres' ? 'PostgreSQL' : 'SQLite');

export async function run(): Promise<void> {
  ensureDebianTools(['wrk', '/usr/sbin/nginx', 'taskset'], ['nginx', 'wrk', 'util-linux']);
  const work = mkdtempSync(join(tmpdir(), 'dialbook-pb-bench-'));
  const procs: ChildProcess[] = [];
  const dbs: BenchDatabase[] = [];
  try {
    const basePort = 41000 + Math.floor(Math.random() * 1000);
    const ngPort = basePort + 1000;
    const path = '/phonebook/bench/yealink.xml';
    let nginxEtag = '';
    // nginx is measured next to each engine's run (the machine's load moves between them)
    const results: { engine: BenchEngine; full: WrkResult; notModified: WrkResult; nginxFull: WrkResult; nginx304: WrkResult; burst: string; load: string }[] = [];
    for (const [k, engine] of benchEngines().entries()) {
      const dataDir = join(work, `data-${engine}`);
      mkdirSync(dataDir);
      const db = await benchDatabase(engine, 'phonebook');
      dbs.push(db);
      await seed(dataDir, db);
      const dbPort = basePort + k;
      const server = spawn('taskset', ['-c', '1', process.execPath, join(here, '../bin/dialbook.js'), 'serve', '--http-port', String(dbPort), '--ldap-port', '0'],
        { env: { ...process.env, DIALBOOK_DATA_DIR: dataDir, DIALBOOK_LOG_LEVEL: 'warn', ...db.env }, stdio: 'ignore' });
      procs.push(server);
      await waitFor(dbPort);
      const full = await fetchOnce(dbPort, path, { Authorization: AUTH });
      if (full.status !== 200) throw new Error(`phonebook answered ${full.status}`);
      console.log(`phonebook over ${engineName(engine)}: ${N} contacts, ${full.body.length} bytes; ${loadAverage()}`);
      if (!nginxEtag) {
        const root = join(work, 'www');
        mkdirSync(root);
        writeFileSync(join(root, 'yealink.xml'), full.body);
        writeFileSync(join(root, 'healthz'), 'ok');
        const conf = join(work, 'nginx.conf');
        writeFileSync(conf, `user root; worker_processes 1; daemon off; pid ${work}/nginx.pid; error_log ${work}/error.log;
events { worker_connections 4096; }
http { access_log off; default_type text/xml; etag on; keepalive_requests 100000;
  server { listen 127.0.0.1:${ngPort}; root ${root}; } }\n`);
        procs.push(spawn('taskset', ['-c', '1', '/usr/sbin/nginx', '-c', conf, '-p', work], { stdio: 'ignore' }));
        await waitFor(ngPort, '/healthz');
        nginxEtag = (await fetchOnce(ngPort, '/yealink.xml', {})).etag;
      }
      const load = loadAverage();
      const fullR = wrk(`http://127.0.0.1:${dbPort}${path}`, [`Authorization: ${AUTH}`]);
      const nginxFull = wrk(`http://127.0.0.1:${ngPort}/yealink.xml`, []);
      const nm = wrk(`http://127.0.0.1:${dbPort}${path}`, [`Authorization: ${AUTH}`, `If-None-Match: ${full.etag}`]);
      const nginx304 = wrk(`http://127.0.0.1:${ngPort}/yealink.xml`, [`If-None-Match: ${nginxEtag}`]);
      const b = await burst(dbPort, path, full.body.length);
      results.push({ engine, full: fullR, notModified: nm, nginxFull, nginx304, burst: b, load });
      server.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const r of results) {
      const rows: [string, WrkResult][] = [[`dialbook/${r.engine} full GET`, r.full], ['nginx full GET', r.nginxFull], [`dialbook/${r.engine} 304`, r.notModified], ['nginx 304', r.nginx304]];
      for (const [name, w] of rows) console.log(`${name.padEnd(27)} ${w.rps.toFixed(0).padStart(7)} req/s  p99 ${w.p99ms.toFixed(2)} ms  errors: ${w.errors}`);
      console.log(`ratio dialbook (${engineName(r.engine)})/nginx: full GET ${(r.full.rps / r.nginxFull.rps).toFixed(2)}, 304 ${(r.notModified.rps / r.nginx304.rps).toFixed(2)}  (${r.load} at its start)`);
      console.log(`  ${engineName(r.engine)}: ${r.burst}`);
    }
    console.log(`after: ${loadAverage()}`);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const db of dbs) await db.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
