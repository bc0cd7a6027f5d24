// The asynchronous store on PostgreSQL against the SQLite adapter, in the same run (issue 19):
//  1. importContacts of 100,000 prepared rows (preparing them is not timed), in chunks of 5,000,
//     one transaction: PostgreSQL through COPY, SQLite through its batch writer.
//  2. change-feed delivery: 250 writes through one PostgreSQL store; a second store (another
//     pool and listener connection, as another instance would have) follows the account with
//     ChangeFollower and no safety poll. Latency from the write's commit acknowledged to the
//     follower's delivery of that contact, and from the call's start (the write included).
// Starts its own PostgreSQL in a temp dir (test/helpers/postgres.ts; Debian's postgresql).
// `npm run bench store-pg`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import type { AsyncStore, BatchOp } from '../src/store/async-store.ts';
import { ChangeFollower } from '../src/store/change-follower.ts';
import { openPostgresStore } from '../src/store/postgres/pg-store.ts';
import { openSqliteAsyncStore } from '../src/store/sqlite/sqlite-async-store.ts';
import { findPostgresBin, startPostgres } from '../test/helpers/postgres.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';

const N = 100_000;
const CHUNK = 5_000;
const WRITES = 250;
const ACTOR = { id: 'bench' };
const SHARED = { source: 'shared' } as const;

async function timeImport(label: string, store: AsyncStore, ops: BatchOp[]): Promise<void> {
  await store.createAccount({ id: 'bench', name: 'Bench', region: 'US' }, ACTOR);
  const chunks = function* () { for (let i = 0; i < ops.length; i += CHUNK) yield ops.slice(i, i + CHUNK); };
  const t0 = performance.now();
  const res = await store.importContacts('bench', SHARED, chunks(), ACTOR);
  const ms = performance.now() - t0;
  const count = await store.countAccountContacts('bench');
  console.log(`${label.padEnd(36)} ${res.created.length} rows in ${(ms / 1000).toFixed(2)} s = ${Math.round(res.created.length / (ms / 1000)).toLocaleString('en-US')} rows/s (stored: ${count})`);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

export async function run(): Promise<void> {
  if (!findPostgresBin()) {
    console.log('SKIP store-pg: install the Debian package postgresql');
    return;
  }
  const rand = rng(11);
  const tp = performance.now();
  const ops: BatchOp[] = Array.from({ length: N }, (_, i) => ({ op: 'create', contact: prepareContact(fakeContact(i, rand), 'US') }));
  console.log(`prepared ${N} contacts in ${((performance.now() - tp) / 1000).toFixed(1)} s (not timed below)`);

  const dir = mkdtempSync(join(tmpdir(), 'dialbook-store-pg-bench-'));
  const server = await startPostgres();
  try {
    const sqlite = openSqliteAsyncStore(join(dir, 'dialbook.db'));
    await timeImport('SQLite adapter, importContacts', sqlite, ops);
    await sqlite.close();

    const url = await server.createDatabase('bench');
    const pgStore = await openPostgresStore({ url });
    await timeImport('PostgreSQL, importContacts (COPY)', pgStore, ops);

    // change-feed delivery, instance A -> instance B
    await pgStore.createAccount({ id: 'feed', name: 'Feed', region: 'US' }, ACTOR);
    const follower = await openPostgresStore({ url, poolSize: 2 });
    const deliveredAt = new Map<string, number>();
    let waiting: { id: string; resolve: () => void } | null = null;
    const f = new ChangeFollower(follower, {
      from: new Map([['feed', 1]]),
      onChange: (c) => {
        if (c.kind !== 'changes') return;
        const at = performance.now();
        for (const id of c.changes.changed) deliveredAt.set(id, at);
        if (waiting && deliveredAt.has(waiting.id)) waiting.resolve();
      },
    });
    await f.start();
    const fromCommit: number[] = [];
    const fromCall: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const t0 = performance.now();
      const c = await pgStore.createContact('feed', SHARED, prepareContact({ lastName: `Feed ${i}`, workNumber: '+1 469 429 2000' }, 'US'), ACTOR);
      const t1 = performance.now();
      if (!deliveredAt.has(c.id)) await new Promise<void>((resolve) => { waiting = { id: c.id, resolve }; });
      waiting = null;
      const t2 = deliveredAt.get(c.id)!;
      fromCommit.push(Math.max(0, t2 - t1));
      fromCall.push(t2 - t0);
    }
    fromCommit.sort((a, b) => a - b);
    fromCall.sort((a, b) => a - b);
    const missed = WRITES - deliveredAt.size;
    console.log(`feed delivery over ${WRITES} writes (A -> B, NOTIFY + catch-up read, no poll), missed ${missed}:`);
    console.log(`  from commit acknowledged: p50 ${pct(fromCommit, 0.5).toFixed(2)} ms  p99 ${pct(fromCommit, 0.99).toFixed(2)} ms  max ${fromCommit[fromCommit.length - 1].toFixed(2)} ms`);
    console.log(`  from the write's call:    p50 ${pct(fromCall, 0.5).toFixed(2)} ms  p99 ${pct(fromCall, 0.99).toFixed(2)} ms`);
    await f.stop();
    await follower.close();
    await pgStore.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
