// A CardDAV first sync as Thunderbird makes it: a PROPFIND (Depth: 1) of a 10,000-card book for
// the hrefs and etags, then ONE addressbook-multiget of every href with address-data, over HTTP
// to the real server, with the phone probe (bench/lib/phone-probe.ts: LDAP caller-ID searches and
// phonebook downloads of another account) running meanwhile; the probe and the multiget's client
// run in a process of their own (bench/lib/probe-child.ts). What phones wait for while the
// answer is made is the figure: the issue's target is an LDAP p99 under 50 ms.
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/auth/passwords.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import type { RunningServer } from '../src/server.ts';
import { benchEngines, loadAverage, type BenchEngine } from './lib/bench-db.ts';
import { BENCH_ACTOR, seedBenchAccounts, startBenchServer } from './lib/bench-server.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';
import { printProbe, type Probe } from './lib/phone-probe.ts';

const N = Number(process.env.MULTIGET_BENCH_CONTACTS ?? 10_000);
const here = dirname(fileURLToPath(import.meta.url));
const ACTOR = BENCH_ACTOR;
const PASSWORD = 'bench-password-1';

export async function run(): Promise<void> {
  for (const engine of benchEngines()) await runOn(engine);
}

async function runOn(engine: BenchEngine): Promise<void> {
  console.log(`\n--- multiget over ${engine === 'postgres' ? 'PostgreSQL' : 'SQLite'} (BENCH_DATABASE); ${loadAverage()}`);
  const { dir, srv } = await startBenchServer('multiget', engine);
  try {
    const store = srv.ctx.db;
    const rand = rng(13);
    await seedBenchAccounts(srv, [['bench', N], ['probe', 1000]], rand);
    await store.createUser('bench', { username: 'ann', name: 'Ann', scope: 'basic', passwordHash: await hashPassword(PASSWORD) }, ACTOR);
    // ann's personal book: cards an app uploaded, under names and UIDs the app chose (urn:uuid
    // names, as DAVx5 makes them), so each href is looked up by name, not by contact id
    const ann = (await store.findUserByLogin('bench', 'ann'))!;
    for (let i = 0; i < N; i++) {
      const uid = `urn:uuid:${String(i).padStart(8, '0')}-4a1b-4c2d-8e3f-${String(i).padStart(12, '0')}`;
      await store.createContactWithCard('bench', { source: 'personal', userId: ann.id }, prepareContact(fakeContact(i, rand), 'US'), ACTOR, { name: `${uid}.vcf`, uid });
    }
    const base = `http://127.0.0.1:${srv.httpPort}`;
    for (const book of ['/carddav/bench/ann/shared/', '/carddav/bench/ann/personal/']) await firstSync(srv, base, book);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function firstSync(srv: RunningServer, base: string, book: string): Promise<void> {
  {
    const auth = 'Basic ' + Buffer.from(`ann@bench:${PASSWORD}`).toString('base64');
    const dav = async (method: string, body: string, depth?: string) => {
      const headers: Record<string, string> = { authorization: auth, 'content-type': 'application/xml; charset=utf-8' };
      if (depth) headers.depth = depth;
      const r = await fetch(base + book, { method, headers, body });
      const text = await r.text();
      if (r.status !== 207) throw new Error(`${method} answered ${r.status}: ${text.slice(0, 200)}`);
      return text;
    };
    const listing = await dav('PROPFIND', '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>', '1');
    const hrefs = [...listing.matchAll(/<d:href>([^<]+\.vcf)<\/d:href>/g)].map((m) => m[1]);
    const multiget = `<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/></d:prop>${hrefs.map((h) => `<d:href>${h}</d:href>`).join('')}</c:addressbook-multiget>`;
    console.log(`\n${book}: ${N.toLocaleString('en-US')} cards, multiget of ${hrefs.length.toLocaleString('en-US')} hrefs (${(multiget.length / 1e6).toFixed(2)} MB)`);
    await dav('REPORT', multiget); // warm-up: modules and caches, not timed
    // The probe and the app's multiget run in a process of their own (lib/probe-child.ts), as
    // phones and apps do: the figures are what a phone on the network waits, and the server's
    // loop carries only the server. The loop's delay histogram is measured here, in the server.
    const child = fork(join(here, 'lib/probe-child.ts'), [], {
      execArgv: ['--import', 'tsx'], env: { ...process.env, PROBE_LDAP_PORT: String(srv.ldapPort), PROBE_HTTP_PORT: String(srv.httpPort) },
    });
    const ask = <T>(msg: object) => new Promise<T>((resolve, reject) => {
      child.once('message', (m: T & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      child.send(msg);
    });
    try {
      printProbe('phone probe (own process), nothing else running (3 s):', (await ask<{ probe: Probe }>({ kind: 'idle', ms: 3000 })).probe);
      const headers = { authorization: auth, 'content-type': 'application/xml; charset=utf-8' };
      for (let round = 1; round <= 3; round++) {
        const delay = monitorEventLoopDelay({ resolution: 5 });
        delay.enable();
        const r = await ask<{ status: number; bytes: number; seconds: number; cards: number; probe: Probe }>({ kind: 'round', url: base + book, method: 'REPORT', headers, body: multiget });
        delay.disable();
        if (r.status !== 207) throw new Error(`REPORT answered ${r.status}`);
        console.log(`multiget round ${round}: ${r.cards.toLocaleString('en-US')} cards, ${(r.bytes / 1e6).toFixed(1)} MB, request -> last byte ${r.seconds.toFixed(2)} s`);
        printProbe('  phone probe (own process) during the multiget:', r.probe);
        console.log(`  ${loadAverage()}`);
        console.log(`  server's event loop held: p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);
      }
    } finally {
      child.disconnect();
    }
  }
}
