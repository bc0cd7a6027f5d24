// Spreadsheet export of a large account, end to end: HTTP request -> last byte received, for CSV,
// vCard and XLSX, with the phone probe (bench/lib/phone-probe.ts) running alongside. The file is
// made in the export thread; the reference is the same file made on this thread (buildExport),
// which is how long every phone waited when exports ran on the event loop.
import { rmSync } from 'node:fs';
import { hashToken, newToken } from '../src/auth/api-tokens.ts';
import type { ExportFormat } from '../src/spreadsheet/export-file.ts';
import { buildExport } from '../src/spreadsheet/export-service.ts';
import { seedBenchAccounts, startBenchServer } from './lib/bench-server.ts';
import { rng } from './lib/fake-contacts.ts';
import { printProbe, probe, secs } from './lib/phone-probe.ts';

const N = 100_000;

export async function run(): Promise<void> {
  const { dir, srv } = await startBenchServer('export');
  try {
    const db = srv.ctx.db;
    await seedBenchAccounts(srv, [['bench', N], ['probe', 1000]], rng(11));
    const token = newToken();
    await db.createToken({ accountId: null, userId: null, label: 'bench', tokenHash: hashToken(token) });
    const get = async (account: string, format: ExportFormat) => {
      const res = await fetch(`http://127.0.0.1:${srv.httpPort}/api/v1/accounts/${account}/contacts/export?format=${format}`, { headers: { Authorization: `Bearer ${token}` } });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || res.headers.get('x-contact-count') === null) throw new Error(`export failed: ${res.status}`);
      return body;
    };
    // warm-up: starts the export worker and loads its modules; not timed
    for (const format of ['csv', 'vcf', 'xlsx'] as const) await get('probe', format);
    console.log(`account of ${N.toLocaleString('en-US')} contacts`);
    printProbe('phone probe, no export running (3 s):', await probe(srv, new Promise((r) => setTimeout(r, 3000))));
    const account = (await db.getAccount('bench'))!;
    for (const format of ['csv', 'vcf', 'xlsx'] as const) {
      const t = process.hrtime.bigint();
      const exporting = get('bench', format);
      const during = probe(srv, exporting);
      const body = await exporting;
      const total = secs(t);
      const phones = await during;
      const tr = process.hrtime.bigint();
      const here = await buildExport(db, account, { format });
      const inline = secs(tr);
      console.log(`${format.padEnd(4)} ${(body.length / 1e6).toFixed(1).padStart(5)} MB  HTTP request -> last byte ${total.toFixed(2)} s (${Math.round(N / total).toLocaleString('en-US')} contacts/s); `
        + `the same file on the event loop ${inline.toFixed(2)} s (${(here.body.length / 1e6).toFixed(1)} MB)`);
      printProbe(`  phone probe while the ${format} export is made:`, phones);
    }
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
