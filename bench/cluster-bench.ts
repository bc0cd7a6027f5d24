// Several instances (issue 19, "Done when"): PostgreSQL + three instances (+ HAProxy when
// installed) on loopback, as the cluster test starts them (test/helpers/cluster.ts). CLUSTER_BENCH_WRITES
// (default 200) contacts are created one after another through A; after each 201, B and C are
// polled with real clients (every CLUSTER_BENCH_POLL_MS, default 10, after the previous poll
// answered) until they show it (a) in an LDAP search (ldapsearch), (b) in the phonebook ETag
// (HTTP, If-None-Match), (c) in a CardDAV sync-collection (HTTP REPORT). The time from A's answer
// to the end of the first poll that shows it is the figure: p50/p99/max per path, and the
// writes not seen within CLUSTER_BENCH_TIMEOUT_MS (default 5,000) as missed. Target p99 <= 250 ms.
// Beside them: how long one poll takes (the figure's granularity) and when a bare LISTEN client
// got the write's NOTIFY (the floor every instance waits for).
// Then, through HAProxy, 8 phones fetch the phonebook nonstop while B is killed with SIGKILL:
// failed requests (target 0). Needs Debian's postgresql and ldap-utils (haproxy optional).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { CHANGE_CHANNEL } from '../src/store/postgres/pg-listener.ts';
import { loadAverage } from './lib/bench-db.ts';
import { CLUSTER_ADMIN_TOKEN, startCluster, type Instance } from '../test/helpers/cluster.ts';
import { BENCH_POSTGRES } from './lib/bench-db.ts';
import { ensureDebianTools } from './lib/debian-tools.ts';
import { pct } from './lib/phone-probe.ts';

const WRITES = Number(process.env.CLUSTER_BENCH_WRITES ?? 200);
const TIMEOUT_MS = Number(process.env.CLUSTER_BENCH_TIMEOUT_MS ?? 5000);
const POLL_MS = Number(process.env.CLUSTER_BENCH_POLL_MS ?? 10);
const KILL_LOAD_SECONDS = Number(process.env.CLUSTER_BENCH_KILL_SECONDS ?? 8);
const ADMIN = { Authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}`, 'Content-Type': 'application/json' };
const PHONE = { user: 'phones', password: 'phone-secret-1' };
const ANN = { login: 'ann@acme', password: 'ann-password-1' };
const BASE = 'o=acme,dc=dialbook';
const BIND = `cn=phones,${BASE}`;
const exec = promisify(execFile);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const PHONE_AUTH = basic(PHONE.user, PHONE.password);
const ANN_AUTH = basic(ANN.login, ANN.password);

type Path = 'ldap' | 'etag' | 'sync';
const PATHS: Path[] = ['ldap', 'etag', 'sync'];

function hasHaproxy(): boolean {
  try { execFileSync('sh', ['-c', 'command -v haproxy'], { stdio: 'ignore' }); return true; } catch { return false; }
}

async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url + path, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

/** ldapsearch for sn=name on the instance: true when the entry is there. */
async function inLdap(inst: Instance, name: string): Promise<boolean> {
  try {
    const { stdout } = await exec('ldapsearch', ['-x', '-LLL', '-H', `ldap://127.0.0.1:${inst.ldapPort}`, '-D', BIND, '-w', PHONE.password, '-b', BASE, `(sn=${name})`, 'sn']);
    return stdout.includes(`sn: ${name}`);
  } catch {
    return false;
  }
}

/** The phonebook's ETag, asked with If-None-Match: the new ETag, or null while it is unchanged (304). */
async function newEtag(inst: Instance, previous: string): Promise<string | null> {
  const r = await fetch(`${inst.httpUrl}/phonebook/acme/yealink.xml`, { headers: { Authorization: PHONE_AUTH, ...(previous ? { 'If-None-Match': previous } : {}) } });
  await r.arrayBuffer();
  if (r.status === 304) return null;
  if (r.status !== 200) throw new Error(`phonebook on ${inst.name}: ${r.status}`);
  return r.headers.get('etag') ?? '';
}

const syncBody = (token: string) => `<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;

async function sync(inst: Instance, token: string): Promise<{ token: string; hrefs: string[] }> {
  const r = await fetch(`${inst.httpUrl}/carddav/acme/ann/shared/`, {
    method: 'REPORT', body: syncBody(token), headers: { 'Content-Type': 'application/xml', Authorization: ANN_AUTH, Depth: '1' },
  });
  const text = await r.text();
  if (r.status !== 207) throw new Error(`sync on ${inst.name}: ${r.status} ${text.slice(0, 200)}`);
  return { token: /<d?:?sync-token>([^<]+)</.exec(text)?.[1] ?? token, hrefs: [...text.matchAll(/<[a-z]*:?href>([^<]+)</g)].map((m) => m[1]) };
}

/** Polls `seen` until true: ms since t0, or null after TIMEOUT_MS; each poll's own duration goes to `polls`. */
async function until(t0: number, seen: () => Promise<boolean>, polls: number[] = []): Promise<number | null> {
  for (;;) {
    const p0 = performance.now();
    const yes = await seen();
    polls.push(performance.now() - p0);
    if (yes) return performance.now() - t0;
    if (performance.now() - t0 > TIMEOUT_MS) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const fmt = (xs: number[]) => xs.length === 0 ? 'none seen' : `p50 ${pct(xs, 50).toFixed(0)} ms  p99 ${pct(xs, 99).toFixed(0)} ms  max ${Math.max(...xs).toFixed(0)} ms`;

export async function run(): Promise<void> {
  ensureDebianTools(['ldapsearch', '/usr/lib/postgresql'], ['ldap-utils', 'postgresql']);
  const haproxy = hasHaproxy();
  console.log(`starting PostgreSQL, instances a, b, c${haproxy ? ' and HAProxy (packaging/haproxy.cfg)' : ' (no haproxy installed: the kill -9 part is skipped)'}; ${loadAverage()}`);
  const c = await startCluster({ haproxy, postgres: BENCH_POSTGRES, config: { signin: { freeFailuresPerAddress: 1000, freeLoginsPerAddress: 1000, freeFailuresPerLogin: 1000 } } });
  try {
    const [a, b, cc] = c.instances;
    const must = (r: { status: number; json: unknown }, want: number, what: string) => { if (r.status !== want) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`); };
    must(await post(a.httpUrl, '/api/v1/accounts', { id: 'acme', name: 'Acme', region: 'US' }), 201, 'account');
    const cred = await fetch(`${a.httpUrl}/api/v1/accounts/acme/phone-credentials`, { method: 'PUT', headers: ADMIN, body: JSON.stringify({ username: PHONE.user, password: PHONE.password }) });
    if (cred.status !== 200) throw new Error(`phone credentials: ${cred.status}`);
    must(await post(a.httpUrl, '/api/v1/accounts/acme/users', { username: 'ann', name: 'Ann Example', scope: 'basic', password: ANN.password }), 201, 'user');
    must(await post(a.httpUrl, '/api/v1/accounts/acme/contacts', { lastName: 'Seed', workNumber: '+12145550100' }), 201, 'seed');

    const others = [b, cc];
    const state = new Map<string, { etag: string; token: string }>();
    // every path seen the seed everywhere first: the instances are caught up and warm
    for (const o of others) {
      if ((await until(performance.now(), () => inLdap(o, 'Seed'))) === null) throw new Error(`Seed never reached ${o.name}`);
      state.set(o.name, { etag: (await newEtag(o, '')) ?? '', token: (await sync(o, '')).token });
    }
    const lat: Record<Path, number[]> = { ldap: [], etag: [], sync: [] };
    const polls: Record<Path, number[]> = { ldap: [], etag: [], sync: [] };
    // The floor: a bare LISTEN client of the change channel, the hint every instance waits for.
    const listener = new pg.Client({ connectionString: c.databaseUrl });
    await listener.connect();
    const notified = new Map<number, number>();
    listener.on('notification', (m) => {
      const [account, rev] = (m.payload ?? '').split(':');
      if (account === 'acme') notified.set(Number(rev), performance.now());
    });
    await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
    const notifyMs: number[] = [];
    const missed: Record<Path, number> = { ldap: 0, etag: 0, sync: 0 };
    const writeMs: number[] = [];
    const load0 = loadAverage();
    const t = performance.now();
    for (let i = 0; i < WRITES; i++) {
      const name = `Prop${String(i).padStart(4, '0')}`;
      const w0 = performance.now();
      const r = await post(a.httpUrl, '/api/v1/accounts/acme/contacts', { lastName: name, workNumber: `+1214555${String(1000 + i)}` });
      const t0 = performance.now();
      writeMs.push(t0 - w0);
      must(r, 201, `write ${name}`);
      const id = String(r.json.id);
      await Promise.all(others.flatMap((o) => {
        const s = state.get(o.name)!;
        const record = (p: Path) => (ms: number | null) => { if (ms === null) missed[p]++; else lat[p].push(ms); };
        return [
          until(t0, () => inLdap(o, name), polls.ldap).then(record('ldap')),
          until(t0, async () => {
            const e = await newEtag(o, s.etag);
            if (e === null) return false;
            s.etag = e;
            return true;
          }, polls.etag).then(record('etag')),
          until(t0, async () => {
            const d = await sync(o, s.token);
            s.token = d.token;
            return d.hrefs.some((h) => h.endsWith(`/${id}.vcf`));
          }, polls.sync).then(record('sync')),
        ];
      }));
      const rev = Math.max(...notified.keys());
      if (notified.size > 0) notifyMs.push(notified.get(rev)! - t0);
      notified.clear();
    }
    const secs = (performance.now() - t) / 1000;
    console.log(`${WRITES} writes through A (one after another, each awaited on B and C before the next), ${secs.toFixed(1)} s; before: ${load0}, after: ${loadAverage()}`);
    await listener.end();
    console.log(`write on A (POST -> 201)          ${fmt(writeMs)}`);
    console.log(`NOTIFY at a bare LISTEN client, from A's 201 (negative: before it)  ${fmt(notifyMs)}  (${notifyMs.length} of ${WRITES})`);
    const label: Record<Path, string> = { ldap: 'LDAP search (ldapsearch)', etag: 'phonebook ETag (HTTP)', sync: 'CardDAV sync-collection (HTTP)' };
    for (const p of PATHS) {
      console.log(`A -> B/C, ${label[p].padEnd(31)} ${fmt(lat[p])}  missed ${missed[p]} of ${WRITES * others.length}  (target p99 <= 250 ms: ${lat[p].length && pct(lat[p], 99) <= 250 && missed[p] === 0 ? 'met' : 'NOT met'})`);
      console.log(`    one poll of it takes                 ${fmt(polls[p])}`);
    }

    if (haproxy) await killUnderLoad(c.httpUrl, b);
  } finally {
    await c.stop();
  }
}

/** 8 phones fetch the phonebook through HAProxy nonstop; B gets SIGKILL 2 s in; failed requests are counted. */
async function killUnderLoad(proxyUrl: string, victim: Instance): Promise<void> {
  const failures: string[] = [];
  let done = 0;
  let stop = false;
  const ms: number[] = [];
  const worker = async () => {
    while (!stop) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${proxyUrl}/phonebook/acme/yealink.xml`, { headers: { Authorization: PHONE_AUTH } });
        await r.arrayBuffer();
        if (r.status !== 200) failures.push(`HTTP ${r.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      ms.push(performance.now() - t0);
      done++;
    }
  };
  const load0 = loadAverage();
  const load = Array.from({ length: 8 }, worker);
  await new Promise((r) => setTimeout(r, 2000));
  await victim.kill();
  await new Promise((r) => setTimeout(r, KILL_LOAD_SECONDS * 1000 - 2000));
  stop = true;
  await Promise.all(load);
  const kinds = [...new Set(failures)].slice(0, 3).join('; ');
  console.log(`kill -9 of B under a phonebook load through HAProxy (8 clients, ${KILL_LOAD_SECONDS} s, B killed at 2 s): ${done} requests, ${failures.length} failed${kinds ? ` (${kinds})` : ''} (target 0: ${failures.length === 0 ? 'met' : 'NOT met'}), ${fmt(ms)}; before: ${load0}, after: ${loadAverage()}`);
}
