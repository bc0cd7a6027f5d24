// `npm run bench carddav-xml` (issue 23, section 4): hostile and large CardDAV request bodies
// against a real `dialbook serve` child process on loopback. Per body: the time from sending the
// request to the end of its answer, the status and answer size, and the slowest /healthz answer
// while it ran (a client polling /healthz back to back on another connection: if the body held
// the event loop, /healthz waits as long). Targets: the issue's 2.58 MB namespace body answered
// within 100 ms and /healthz within 50 ms meanwhile. Each body runs CARDDAV_XML_RUNS times
// (default 5); figures are the median and the worst run. "parse CPU" is the reader alone on the
// same body in this process (CPU time, median): on a shared machine it moves less with other
// load than wall time does, and it tells the reading from the answering. Takes under a minute.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/auth/passwords.ts';
import { ELEMENTS_BEYOND_HREFS, parseXml, REQUEST_LIMITS } from '../src/carddav/dav-xml.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.CARDDAV_XML_RUNS ?? 5);
const PASSWORD = 'bench-password-1';
const AUTH = 'Basic ' + Buffer.from(`bob@bench:${PASSWORD}`).toString('base64');
const HOME = '/carddav/bench/bob/';
const BOOK = '/carddav/bench/bob/shared/';

const decls = (n: number) => Array.from({ length: n }, (_, i) => `xmlns:p${i}="u${i}"`).join(' ');
const namespaceBomb = (roots: number, children: number) =>
  `<d:propfind xmlns:d="DAV:" ${decls(roots)}><d:prop>${'<d:x xmlns:q="y"/>'.repeat(children)}</d:prop></d:propfind>`;

/** [label, method, path, body]: the issue's bodies, then the largest bodies the limits let through. */
const BODIES: [string, string, string, string][] = [
  ['namespace 20,000 x 120,000', 'PROPFIND', HOME, namespaceBomb(20_000, 120_000)],
  ['namespace 2,000 x 12,000', 'PROPFIND', HOME, namespaceBomb(2_000, 12_000)],
  ['1,300,000 unclosed <a>', 'PROPFIND', HOME, '<a>'.repeat(1_300_000)],
  ['300,000 <d:getetag/>', 'PROPFIND', HOME, `<d:propfind xmlns:d="DAV:"><d:prop>${'<d:getetag/>'.repeat(300_000)}</d:prop></d:propfind>`],
  // Within the limits: what a body may cost the server at most.
  ['multiget of 20,000 hrefs', 'REPORT', BOOK, `<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop>\n${
    Array.from({ length: 20_000 }, (_, i) => `  <d:href>${BOOK}missing-${i}.vcf</d:href>\n`).join('')}</c:addressbook-multiget>`],
  ['21,000 elements re-declaring 2 prefixes', 'PROPFIND', HOME, `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop>${
    '<d:x xmlns:q="y" xmlns:d="DAV:"/>'.repeat(20_990)}</d:propfind>`],
  ['4 MB of &amp; in 8 KB runs', 'PROPFIND', HOME, `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop>${
    `<d:x>${'&amp;'.repeat(1638)}</d:x>`.repeat(510)}</d:propfind>`],
  ['20,000 elements of 8 attributes', 'PROPFIND', HOME, `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop>${
    `<d:x ${Array.from({ length: 8 }, (_, i) => `a${i}="vvvvvvvvvvvvvvvvv"`).join(' ')}/>`.repeat(20_000)}</d:propfind>`],
];

interface Answer { status: number; ms: number; bytes: number }

function send(port: number, agent: Agent, method: string, path: string, body?: string): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Authorization: AUTH, Depth: '0' };
    if (body !== undefined) Object.assign(headers, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent, timeout: 600_000 }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => { bytes += d.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds a process has used (user + system), from /proc; 100 clock ticks a second. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** Sends one body while polling /healthz; the request's figures, the slowest /healthz and the
 *  server's CPU time meanwhile (the polls' share included). */
async function measure(pid: number, port: number, method: string, path: string, body: string): Promise<Answer & { healthMs: number; polls: number; cpuMs: number }> {
  const big = new Agent({ keepAlive: true, maxSockets: 1 });
  const small = new Agent({ keepAlive: true, maxSockets: 1 });
  await send(port, small, 'GET', '/healthz'); // the polling connection is open before the body goes
  const cpu0 = cpuSeconds(pid);
  let done = false;
  let healthMs = 0;
  let polls = 0;
  const poll = (async () => {
    while (!done) {
      healthMs = Math.max(healthMs, (await send(port, small, 'GET', '/healthz')).ms);
      polls++;
    }
  })();
  const a = await send(port, big, method, path, body);
  done = true;
  await poll;
  const cpuMs = (cpuSeconds(pid) - cpu0) * 1000;
  big.destroy();
  small.destroy();
  return { ...a, healthMs, polls, cpuMs };
}

function startServer(dataDir: string, configFile: string): Promise<{ child: ChildProcess; port: number }> {
  // from source through tsx, like `npm run stress` (bin/dialbook.js runs the compiled dist/)
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '../src/cli/main.ts'), 'serve'], {
    env: { ...process.env, DIALBOOK_DATA_DIR: dataDir, DIALBOOK_CONFIG: configFile, DIALBOOK_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
    child.stderr!.on('data', (d) => {
      err += String(d);
      const m = /HTTP http:\/\/localhost:(\d+)\//.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

/** CPU milliseconds of reading one body (a refusal included). */
function parseCpuMs(body: string, limits: Parameters<typeof parseXml>[1]): number {
  const t0 = process.cpuUsage();
  try { parseXml(body, limits); } catch { /* refused: the time to refuse is the figure */ }
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'dialbook-carddav-xml-'));
  let child: ChildProcess | undefined;
  try {
    const store = openSqliteStore(join(work, 'dialbook.db'));
    store.createAccount({ id: 'bench', name: 'Bench', region: 'US' }, { id: 'bench' });
    store.createUser('bench', { username: 'bob', name: 'Bob', scope: 'basic', passwordHash: await hashPassword(PASSWORD) }, { id: 'bench' });
    const rand = rng(7);
    store.applyBatch('bench', { source: 'shared' }, Array.from({ length: 200 }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeContact(i, rand), 'US') })), { id: 'bench' });
    store.close();
    const configFile = join(work, 'config.json');
    writeFileSync(configFile, JSON.stringify({ http: { host: '127.0.0.1', port: 0 }, ldap: { host: '127.0.0.1', port: 0 } }));
    const limits = { ...REQUEST_LIMITS, maxElements: loadConfig({ env: { DIALBOOK_DATA_DIR: work, DIALBOOK_CONFIG: configFile } }).carddav.maxMultigetHrefs + ELEMENTS_BEYOND_HREFS };
    const server = await startServer(work, configFile);
    child = server.child;
    // Signs in once: later requests use the sign-in memo (carddav.authCacheSeconds), not a hash.
    const warm = await send(server.port, new Agent(), 'PROPFIND', HOME, '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>');
    if (warm.status !== 207) throw new Error(`warm-up PROPFIND answered ${warm.status}`);
    console.log(`Node ${process.version}; ${RUNS} runs per body; load average ${loadavg()[0].toFixed(1)}; target: namespace body < 100 ms, /healthz < 50 ms`);
    console.log(`${'body'.padEnd(40)} ${'size'.padStart(8)}  status  answer   request median / worst   /healthz worst (polls)   server CPU   parse CPU`);
    for (const [label, method, path, body] of BODIES) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(server.child.pid!, server.port, method, path, body));
      const last = runs.at(-1)!;
      const cpu = Array.from({ length: RUNS }, () => parseCpuMs(body, limits));
      console.log(`${label.padEnd(40)} ${`${(Buffer.byteLength(body) / 1e6).toFixed(2)} MB`.padStart(8)}  ${String(last.status).padEnd(6)}  ${`${last.bytes} B`.padStart(8)}   ` +
        `${ms(median(runs.map((r) => r.ms))).padStart(8)} / ${ms(Math.max(...runs.map((r) => r.ms))).padEnd(8)}       ` +
        `${`${ms(Math.max(...runs.map((r) => r.healthMs)))} (${runs.reduce((s, r) => s + r.polls, 0)})`.padEnd(20)}   ${ms(median(runs.map((r) => r.cpuMs))).padStart(10)}   ${ms(median(cpu)).padStart(9)}`);
    }
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  }
}
