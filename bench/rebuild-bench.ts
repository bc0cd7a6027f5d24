// Phones searching a big account while its read model is (re)built (issue 24: "from the moment a
// 1,000,000-row import commits, and from a restart under load, no phone search waits more than
// 100 ms"). The probe is phones in a process of their own (lib/probe-child.ts): each holds an
// LDAP connection for 25 searches, then connects again; caller-ID searches and name prefixes in
// turn, REBUILD_BENCH_PHONES (2) phones at once; every search's latency and failure is counted.
// REBUILD_BENCH_PARTS (default "commit"; "commit,restart" for both):
//  - commit: the real server in this process (BENCH_DATABASE engine), an account of
//    REBUILD_BENCH_CONTACTS (100,000) contacts, its model built; then a batch of 60 % more
//    contacts committed through the store (a rebuild follows), the probe running from the commit
//    until the rebuild is done, with this process's event-loop delay histogram alongside.
//  - restart: two instances over PostgreSQL behind HAProxy (test/helpers/cluster.ts,
//    packaging/haproxy.cfg), the account seeded with REBUILD_BENCH_CONTACTS contacts in one
//    commit and built on both; the probe goes through HAProxy while instance b is stopped
//    (SIGTERM) and started again (its models built at start, /readyz 503 until then), and on
//    until b has served again for a while. Needs Debian's postgresql and haproxy.
import { execFileSync, fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import ldap from 'ldapjs';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { openStoreFor } from '../src/store/open-store.ts';
import { CLUSTER_ADMIN_TOKEN, startCluster } from '../test/helpers/cluster.ts';
import { BENCH_POSTGRES, loadAverage } from './lib/bench-db.ts';
import { BENCH_ACTOR, seedBenchAccounts, startBenchServer } from './lib/bench-server.ts';
import { ensureDebianTools } from './lib/debian-tools.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';
import { pct, secs } from './lib/phone-probe.ts';
import type { PhonesAsk, PhoneSearch } from './lib/probe-child.ts';

const N = Number(process.env.REBUILD_BENCH_CONTACTS ?? 100_000);
const PARTS = (process.env.REBUILD_BENCH_PARTS ?? 'commit').split(',').map((s) => s.trim());
const PHONES = Number(process.env.REBUILD_BENCH_PHONES ?? 2);
const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The largest (Math.max(...xs) overflows the stack at a few hundred thousand searches). */
const most = (xs: number[]) => (xs.length ? xs.reduce((a, b) => (b > a ? b : a), -Infinity).toFixed(1) : '-');

export async function run(): Promise<void> {
  if (PARTS.includes('commit')) await commitPart();
  if (PARTS.includes('restart')) await restartPart();
}

/** Phones in a process of their own, searching until stop(). */
async function startPhones(ask: Omit<PhonesAsk, 'kind' | 'phones'>): Promise<{ stop(): Promise<PhoneSearch[]> }> {
  const child = fork(join(here, 'lib/probe-child.ts'), [], { execArgv: ['--import', 'tsx'] });
  const reply = <T>(msg: object) => new Promise<T>((resolve, reject) => {
    child.once('message', (m: T & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
    child.send(msg);
  });
  await reply({ kind: 'phones', phones: PHONES, ...ask });
  return {
    stop: async () => {
      const { phones } = await reply<{ phones: PhoneSearch[] }>({ kind: 'stop' });
      child.disconnect();
      return phones;
    },
  };
}

/** p50 / p99 / max per kind of search, and the failures, of the searches that started in [from, to) ms. */
function report(label: string, all: PhoneSearch[], from = 0, to = Infinity): void {
  const got = all.filter(([start]) => start >= from && start < to);
  console.log(`${label}: ${got.length} searches`);
  for (const kind of ['caller-id', 'name'] as const) {
    const ok = got.filter(([, , k, f]) => k === kind && f === null).map(([, ms]) => ms);
    const failed = got.filter(([, , k, f]) => k === kind && f !== null);
    const why = [...new Set(failed.map(([, , , f]) => f))].slice(0, 3).join('; ');
    const over = ok.filter((ms) => ms > 100).length;
    console.log(`  ${kind.padEnd(9)} ${ok.length} answered: p50 ${pct(ok, 50).toFixed(1)} ms, p99 ${pct(ok, 99).toFixed(1)} ms, max ${most(ok)} ms, `
      + `${over} over 100 ms; ${failed.length} failed${why ? ` (${why})` : ''}`);
  }
  const ms = got.filter(([, , , f]) => f === null).map(([, m]) => m);
  console.log(`  all: p99 ${pct(ms, 99).toFixed(1)} ms, max ${most(ms)} ms (target: p99 <= 100 ms: ${ms.length && pct(ms, 99) <= 100 ? 'met' : 'NOT met'})`);
}

async function commitPart(): Promise<void> {
  const { dir, srv, engine } = await startBenchServer('rebuild');
  try {
    const rand = rng(17);
    const t = process.hrtime.bigint();
    await seedBenchAccounts(srv, [['probe', N]], rand);
    const { ctx } = srv;
    console.log(`${engine}: account of ${N.toLocaleString('en-US')} contacts seeded in ${secs(t).toFixed(1)} s; ${loadAverage()}`);
    const ask = { ldapPort: srv.ldapPort!, account: 'probe', user: 'phones', password: 'probe-password', contacts: N };
    // the model built (the first search starts it and waits)
    const warm = await startPhones(ask);
    await sleep(200);
    await ctx.directory.settled('probe');
    await warm.stop();
    const quiet = await startPhones(ask);
    await sleep(3000);
    report('model built, nothing else running (3 s)', await quiet.stop());

    const more = Math.round(N * 0.6);
    const t1 = process.hrtime.bigint();
    await ctx.db.applyBatch('probe', { source: 'shared' }, Array.from({ length: more }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeContact(N + i, rand), 'US') })), BENCH_ACTOR);
    console.log(`batch of ${more.toLocaleString('en-US')} new contacts committed in ${secs(t1).toFixed(1)} s; ${loadAverage()}`);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const t0 = process.hrtime.bigint();
    const phones = await startPhones(ask);
    // the feed's hint starts the rebuild; wait until it has, then until it is done
    while (ctx.directory.counts.backgroundBuilds < 2 && secs(t0) < 900) {
      await sleep(20);
      await ctx.directory.settled('probe');
    }
    const rebuilt = secs(t0);
    await sleep(2000);
    const searches = await phones.stop();
    delay.disable();
    console.log(`rebuild done ${rebuilt.toFixed(1)} s after the commit (${ctx.directory.loaded().probe.toLocaleString('en-US')} contacts); ${loadAverage()}`);
    report(`from the commit until 2 s after the rebuild, ${PHONES} phones`, searches);
    console.log(`  server's event loop held: p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A caller-ID search on one instance until it finds the contact (the model is built). */
async function builtOn(ldapPort: number, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const found = await new Promise<number>((resolve) => {
      const client = ldap.createClient({ url: `ldap://127.0.0.1:${ldapPort}`, timeout: timeoutMs, reconnect: false });
      client.on('error', () => resolve(-1));
      client.bind('cn=phones,o=probe,dc=dialbook', 'probe-password', (err) => {
        if (err) return resolve(-1);
        client.search('o=probe,dc=dialbook', { scope: 'sub', filter: `(telephoneNumber=*${String(1_000_000 + N - 1).slice(-7)})`, attributes: ['cn'] }, (err2, res) => {
          if (err2) return resolve(-1);
          let n = 0;
          res.on('searchEntry', () => n++);
          res.on('error', () => resolve(-1));
          res.on('end', () => { client.unbind(() => undefined); resolve(n); });
        });
      });
    });
    if (found > 0) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the model of probe on port ${ldapPort} was not built within ${timeoutMs} ms`);
    await sleep(1000);
  }
}

async function restartPart(): Promise<void> {
  ensureDebianTools(['/usr/lib/postgresql'], ['postgresql']);
  execFileSync('sh', ['-c', 'command -v haproxy']);
  console.log(`\nrestart under load: PostgreSQL, instances a and b behind HAProxy; ${loadAverage()}`);
  const c = await startCluster({ names: ['a', 'b'], haproxy: true, postgres: BENCH_POSTGRES });
  try {
    const [a, b] = c.instances;
    const store = await openStoreFor({ engine: 'postgres', url: c.databaseUrl });
    const t = process.hrtime.bigint();
    try {
      await store.createAccount({ id: 'probe', name: 'probe', region: 'US' }, BENCH_ACTOR);
      const rand = rng(17);
      await store.applyBatch('probe', { source: 'shared' }, Array.from({ length: N }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeContact(i, rand), 'US') })), BENCH_ACTOR);
    } finally {
      await store.close();
    }
    const cred = await fetch(`${a.httpUrl}/api/v1/accounts/probe/phone-credentials`, {
      method: 'PUT', headers: { Authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'phones', password: 'probe-password' }),
    });
    if (cred.status !== 200) throw new Error(`phone credentials: ${cred.status}`);
    console.log(`${N.toLocaleString('en-US')} contacts committed in one batch in ${secs(t).toFixed(1)} s; waiting for both models`);
    await Promise.all([builtOn(a.ldapPort, 900_000), builtOn(b.ldapPort, 900_000)]);
    console.log(`both instances built the model ${secs(t).toFixed(1)} s after the seeding began; ${loadAverage()}`);
    await sleep(3000); // HAProxy's checks see both up

    const phones = await startPhones({ ldapPort: c.ldapPort, account: 'probe', user: 'phones', password: 'probe-password', contacts: N });
    const t0 = performance.now();
    await sleep(5000);
    const stopAt = performance.now() - t0;
    const code = await b.stop();
    const startAt = performance.now() - t0;
    const b2 = await c.start('b');
    const listening = performance.now() - t0;
    // ready once its models are built (warmAtStart): /readyz 200
    while ((await fetch(`${b2.httpUrl}/readyz`).then((r) => r.status, () => 0)) !== 200) await sleep(200);
    const readyAt = performance.now() - t0;
    // HAProxy sees it up after two checks a second apart; then b serves for a while
    await sleep(15_000);
    const searches = await phones.stop();
    const end = performance.now() - t0;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(`b: SIGTERM at ${s(stopAt)} (exit ${code}), started again at ${s(startAt)}, listening at ${s(listening)}, ready (/readyz 200: models built) at ${s(readyAt)}, probe stopped at ${s(end)}; ${loadAverage()}`);
    report(`through HAProxy, ${PHONES} phones, all ${s(end)}`, searches);
    report('  before the restart', searches, 0, stopAt);
    report('  from SIGTERM until b is ready', searches, stopAt, readyAt);
    report('  after b is ready', searches, readyAt);
  } finally {
    await c.stop();
  }
}
