// Phones searching a big account right after an import changed most of it (issue 24: "no slow
// path for phones"): the read model is rebuilt in the background, and what the phones' searches
// are answered from meanwhile is what they wait for. The real server in this process; an account
// of REBUILD_BENCH_CONTACTS (100,000) contacts, its model built; then a batch of 60 % more
// contacts committed through the store, and LDAP caller-ID searches of that account back to back
// (the phone probe) until the rebuild is done, with the event loop's delay histogram alongside.
import { rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { BENCH_ACTOR, seedBenchAccounts, startBenchServer } from './lib/bench-server.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';
import { pct, probe, secs } from './lib/phone-probe.ts';

const N = Number(process.env.REBUILD_BENCH_CONTACTS ?? 100_000);

export async function run(): Promise<void> {
  const { dir, srv } = await startBenchServer('rebuild');
  try {
    const rand = rng(17);
    await seedBenchAccounts(srv, [['probe', N]], rand);
    const { ctx } = srv;
    // the model is built (in the background, the store answering the first searches)
    await probe(srv, new Promise((r) => setTimeout(r, 200)), 'probe', false);
    await ctx.directory.settled('probe');
    const quiet = await probe(srv, new Promise((r) => setTimeout(r, 2000)), 'probe', false);
    console.log(`account of ${N.toLocaleString('en-US')} contacts, model built; caller-ID searches, nothing else running: `
      + `p50 ${pct(quiet.ldap, 50).toFixed(1)} ms, p99 ${pct(quiet.ldap, 99).toFixed(1)} ms`);

    const more = Math.round(N * 0.6);
    const t = process.hrtime.bigint();
    await ctx.db.applyBatch('probe', { source: 'shared' }, Array.from({ length: more }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeContact(N + i, rand), 'US') })), BENCH_ACTOR);
    console.log(`batch of ${more.toLocaleString('en-US')} new contacts committed in ${secs(t).toFixed(1)} s; the next search starts the rebuild`);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const t0 = process.hrtime.bigint();
    let rebuilt = 0;
    const done = (async () => {
      // the probe's first search starts the rebuild; wait until it has, then until it is done
      while (ctx.directory.counts.backgroundBuilds < 2 && secs(t0) < 600) {
        await new Promise((r) => setTimeout(r, 20));
        await ctx.directory.settled('probe');
      }
      rebuilt = secs(t0);
    })();
    const during = await probe(srv, done, 'probe', false);
    delay.disable();
    console.log(`rebuild done ${rebuilt.toFixed(1)} s after the commit; ${during.ldap.length} caller-ID searches meanwhile: `
      + `p50 ${pct(during.ldap, 50).toFixed(1)} ms, p99 ${pct(during.ldap, 99).toFixed(1)} ms, max ${Math.max(...during.ldap).toFixed(1)} ms; `
      + `event loop held p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
