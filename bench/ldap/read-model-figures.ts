// In-process figures of the directory read model over the bench database: build time, heap
// bytes per contact (after a forced GC), and the cost of answering the bench's queries from it
// (filter translation and the read model only: no protocol, no encoding).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import ldap from 'ldapjs';
import { Directory } from '../../src/directory/directory.ts';
import { type LdapFilter, translateFilter } from '../../src/ldap/ldap-filter.ts';
import { openSqliteAsyncStore } from '../../src/store/sqlite/sqlite-async-store.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function readModelFigures(dbFile: string, accountId: string, filters: string[]): Promise<string> {
  const store = openSqliteAsyncStore(dbFile);
  const directory = new Directory(store, { idleEvictMinutes: 60 });
  try {
    const visibility = { shared: true, users: false, personalOf: null };
    const before = heap();
    const t0 = process.hrtime.bigint();
    await directory.queryContactRefs(accountId, { visibility, limit: 1 });
    const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const n = directory.loaded()[accountId];
    const bytes = (heap() - before) / n;
    const criteria = filters.map((f) => translateFilter(ldap.parseFilter(f) as unknown as LdapFilter, 7));
    const t1 = process.hrtime.bigint();
    let found = 0;
    for (let round = 0; round < 5; round++) {
      for (const where of criteria) found += (await directory.queryContactRefs(accountId, { visibility, where, limit: 51 })).length;
    }
    const perQueryUs = Number(process.hrtime.bigint() - t1) / 1e3 / (5 * criteria.length);
    return `read model: ${n.toLocaleString('en-US')} contacts built in ${buildMs.toFixed(0)} ms (store read included), `
      + `${Math.round(bytes).toLocaleString('en-US')} heap bytes per contact, `
      + `${perQueryUs.toFixed(1)} µs per bench query in process (${(found / (5 * criteria.length)).toFixed(1)} refs each)`;
  } finally {
    await directory.close();
    await store.close();
  }
}
