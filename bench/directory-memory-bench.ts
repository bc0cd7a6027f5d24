// What one account's read model costs (issue 24, "compact entries"): DIRECTORY_BENCH_CONTACTS
// (100,000) contacts from the LDAP bench's generator, seeded into a SQLite file, then the model
// built from it exactly as the server builds it (buildAccountDirectory: a large account in the
// build thread, handed over in chunks): heap bytes per contact after a forced GC (the store stays
// open on both sides, so only the model counts, with the indexes a first search of each kind
// completes), build time (wall, CPU of both threads, and the main thread's busy time: event-loop
// utilisation), and how long the event loop was held meanwhile (a 5 ms timer alongside, and the
// delay histogram) — what a phone's search waits for during a cold build.
// `npm run bench directory-memory`; DIRECTORY_BENCH_CONTACTS=1000000 for the big account.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance as perf, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import ldap from 'ldapjs';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { type LdapFilter, translateFilter } from '../src/ldap/ldap-filter.ts';
import { buildAccountDirectory } from '../src/directory/account-build.ts';
import { openSqliteAsyncStore } from '../src/store/sqlite/sqlite-async-store.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';

const N = Number(process.env.DIRECTORY_BENCH_CONTACTS ?? 100_000);
const ACTOR = { id: 'bench' };
const SEED_CHUNK = 50_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  // the indexes' typed arrays live outside the JS heap: counted too
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A search a phone would send for contact c: a name prefix (7 in 10) or a caller-ID tail. */
function phoneQuery(c: ReturnType<typeof fakeContact>, i: number): string {
  if (i % 10 < 7) {
    const p = (i % 2 === 0 ? c.lastName : c.firstName).slice(0, 2 + (i % 3)).toLowerCase();
    return `(|(cn=${p}*)(sn=${p}*))`;
  }
  return `(|(telephoneNumber=*${c.workNumber.replace(/\D/g, '').slice(-7)})(mobile=*${c.workNumber.replace(/\D/g, '').slice(-7)}))`;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-dirmem-'));
  const store = openSqliteAsyncStore(join(dir, 'dialbook.db'));
  try {
    const t = process.hrtime.bigint();
    await store.createAccount({ id: 'big', name: 'Big', region: 'US', settings: { showUsersInDirectory: false } }, ACTOR);
    const rand = rng(7);
    const mix: string[] = [];
    for (let from = 0; from < N; from += SEED_CHUNK) {
      const ops = [];
      for (let i = from; i < Math.min(N, from + SEED_CHUNK); i++) {
        const c = fakeContact(i, rand);
        if (i % Math.max(1, Math.floor(N / 2000)) === 0) mix.push(phoneQuery(c, mix.length));
        ops.push({ op: 'create' as const, contact: prepareContact(c, 'US') });
      }
      await store.applyBatch('big', { source: 'shared' }, ops, ACTOR);
    }
    console.log(`${N.toLocaleString('en-US')} contacts seeded in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`);

    const before = heapUsed();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    // the longest gap between two turns of a timer that asks for one every 5 ms
    let last = performance.now();
    let maxGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    // garbage collections during the build: part of what holds the event loop
    let gcMax = 0;
    let gcTotal = 0;
    const gcs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcMax = Math.max(gcMax, e.duration);
        gcTotal += e.duration;
      }
    });
    gcs.observe({ entryTypes: ['gc'] });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const elu0 = perf.eventLoopUtilization();
    const built = await buildAccountDirectory(store, 'big', { backgroundMin: 2000, wanted: () => true });
    const buildMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const busy = perf.eventLoopUtilization(elu0);
    clearInterval(ticker);
    gcs.disconnect();
    delay.disable();
    if (typeof built === 'string') throw new Error(`build: ${built}`);
    // one search per name index and a caller-ID one: the packed positions they make on first use count too
    const visibility = { shared: true, users: false, personalOf: null };
    for (const name of ['firstName', 'lastName', 'company', 'displayName'] as const) built.dir.query({ visibility, where: { name, op: 'prefix', value: 'ma' }, limit: 5 });
    built.dir.query({ visibility, where: { number: 'any', op: 'suffix', value: '5550100' }, limit: 5 });
    const bytes = (heapUsed() - before) / built.dir.size;
    const rss = process.memoryUsage().rss;
    console.log(`read model of ${built.dir.size.toLocaleString('en-US')} contacts: ${Math.round(bytes).toLocaleString('en-US')} heap bytes per contact (JS heap and array buffers), `
      + `built in ${(buildMs / 1000).toFixed(2)} s (${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, both threads; main thread busy ${(busy.active / 1000).toFixed(2)} s); event loop held max ${maxGap.toFixed(0)} ms (timer gap), `
      + `delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; GC ${gcTotal.toFixed(0)} ms in all, longest ${gcMax.toFixed(0)} ms; process RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
    // the phone mix of the LDAP bench (70 % name prefixes, 30 % caller-ID tails), as LDAP asks it
    const criteria = mix.map((f) => translateFilter(ldap.parseFilter(f) as unknown as LdapFilter, 7));
    const phones = { ...visibility, dialable: true };
    const t1 = performance.now();
    let found = 0;
    for (let round = 0; round < 5; round++) for (const where of criteria) found += built.dir.query({ visibility: phones, where, limit: 51 }).entries.length;
    const perQueryUs = ((performance.now() - t1) * 1000) / (5 * criteria.length);
    console.log(`${criteria.length} phone-mix searches: ${perQueryUs.toFixed(1)} µs each in process (${(found / (5 * criteria.length)).toFixed(1)} entries each)`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
