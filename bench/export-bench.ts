// Spreadsheet export of a large account, end to end: HTTP request -> last byte received, for CSV,
// vCard and XLSX, with the phone probe (bench/lib/phone-probe.ts) running alongside. The file is
// made in the export thread; the reference is the same file made on this thread (buildExport),
// which is how long every phone waited when exports ran on the event loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken, newToken } from '../src/auth/api-tokens.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { buildExport, type ExportFormat } from '../src/spreadsheet/export-service.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';
import { printProbe, probe, secs } from './lib/phone-probe.ts';

const N = 100_000;
const ACTOR = { id: 'bench' };

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-export-bench-'));
  let srv: RunningServer | null = null;
  try {
    const config = loadConfig({ env: {}, overrides: {
      dataDir: join(dir, 'data'), log: { level: 'silent' }, http: { host: '127.0.0.1', port: 0 },
      ldap: { host: '127.0.0.1', port: 0, failedBindDelayMs: 0 },
    } });
    srv = await startServer(config);
    const store = srv.ctx.store;
    const rand = rng(11);
    for (const [id, n] of [['bench', N], ['probe', 1000]] as const) {
      store.createAccount({ id, name: id, region: 'US' }, ACTOR);
      store.applyBatch(id, { source: 'shared' }, Array.from({ length: n }, (_, i) => ({ op: 'create' as const, contact: prepareContact(fakeContact(i, rand), 'US') })), ACTOR);
    }
    srv.ctx.phoneCredentials.set('probe', 'phones', 'probe-password', ACTOR);
    const token = newToken();
    store.createToken({ accountId: null, userId: null, label: 'bench', tokenHash: hashToken(token) });
    const get = async (account: string, format: ExportFormat) => {
      const res = await fetch(`http://127.0.0.1:${srv!.httpPort}/api/v1/accounts/${account}/contacts/export?format=${format}`, { headers: { Authorization: `Bearer ${token}` } });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || res.headers.get('x-contact-count') === null) throw new Error(`export failed: ${res.status}`);
      return body;
    };
    // warm-up: starts the export worker and loads its modules; not timed
    for (const format of ['csv', 'vcf', 'xlsx'] as const) await get('probe', format);
    console.log(`account of ${N.toLocaleString('en-US')} contacts`);
    printProbe('phone probe, no export running (3 s):', await probe(srv, new Promise((r) => setTimeout(r, 3000))));
    const account = store.getAccount('bench')!;
    for (const format of ['csv', 'vcf', 'xlsx'] as const) {
      const t = process.hrtime.bigint();
      const exporting = get('bench', format);
      const during = probe(srv, exporting);
      const body = await exporting;
      const total = secs(t);
      const phones = await during;
      const tr = process.hrtime.bigint();
      const here = await buildExport(store, account, { format });
      const inline = secs(tr);
      console.log(`${format.padEnd(4)} ${(body.length / 1e6).toFixed(1).padStart(5)} MB  HTTP request -> last byte ${total.toFixed(2)} s (${Math.round(N / total).toLocaleString('en-US')} contacts/s); `
        + `the same file on the event loop ${inline.toFixed(2)} s (${(here.body.length / 1e6).toFixed(1)} MB)`);
      printProbe(`  phone probe while the ${format} export is made:`, phones);
    }
  } finally {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
