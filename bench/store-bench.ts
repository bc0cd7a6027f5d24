// Store lookups on a 100,000-contact account: name-prefix and caller-ID searches, in store time
// (no front end). Target from issue 2: well under a millisecond each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Criterion, Store } from '../src/store/store.ts';
import { fakeContact, NAME_PREFIXES, rng } from './lib/fake-contacts.ts';

const N = 100_000;
const VIS = { shared: true, users: true, personalOf: null };

function time(label: string, store: Store, make: (i: number) => Criterion, limit: number): void {
  const runs = 2_000;
  const samples: number[] = [];
  let found = 0;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    found += store.queryContacts('bench', { visibility: VIS, where: make(i), limit }).contacts.length;
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / runs;
  const p99 = samples[Math.floor(runs * 0.99)];
  console.log(`${label.padEnd(44)} mean ${mean.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  (${(found / runs).toFixed(1)} hits/query)`);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-store-bench-'));
  const store = openSqliteStore(join(dir, 'bench.db'));
  store.createAccount({ id: 'bench', name: 'Bench', region: 'US' }, { id: 'bench' });
  const rand = rng();
  const t0 = Date.now();
  const contacts = Array.from({ length: N }, (_, i) => fakeContact(i, rand));
  store.applyBatch('bench', { source: 'shared' }, contacts.map((c) => ({ op: 'create' as const, contact: prepareContact(c, 'US') })), { id: 'bench' });
  console.log(`loaded ${N} contacts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const prefixes = NAME_PREFIXES;
  time('name prefix (lastName, limit 50)', store, (i) => ({ name: 'lastName', op: 'prefix', value: prefixes[i % prefixes.length] }), 50);
  time('name prefix (any word, limit 50)', store, (i) => ({ words: prefixes[i % prefixes.length] }), 50);
  time('caller ID exact (national format)', store, (i) => {
    const c = contacts[(i * 7919) % N];
    return { number: 'any', op: 'eq', value: c.workNumber.replace(/^\+1 /, '') };
  }, 5);
  time('caller ID tail (last 7 digits)', store, (i) => {
    const c = contacts[(i * 7919) % N];
    return { number: 'any', op: 'suffix', value: c.workNumber.replace(/\D/g, '').slice(-7) };
  }, 5);
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
