// Spreadsheet import speed (issue 2 target: >= 20,000 rows/s end to end). Generates a
// 100,000-row CSV in the export layout, imports it through runImport (the code path of
// POST /import and `dialbook import`) into a fresh SQLite store, and times sqlite3's own
// `.import` of the same file into a bare table as a floor. A second run times each phase.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { AppContext } from '../src/app-context.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { exportContacts } from '../src/spreadsheet/export-service.ts';
import { EXPORT_COLUMNS, EXPORT_HEADERS, mapHeader } from '../src/spreadsheet/header-aliases.ts';
import { planImport } from '../src/spreadsheet/import-plan.ts';
import { runImport } from '../src/spreadsheet/import-service.ts';
import { neutralizeCell } from '../src/spreadsheet/formula-guard.ts';
import { readSheet } from '../src/spreadsheet/sheet-reader.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';
import { ensureDebianTools } from './lib/debian-tools.ts';

const N = 100_000;
const ACTOR = { id: 'bench' };

function generateCsv(): Buffer {
  const rand = rng(7);
  const rows: string[][] = [EXPORT_COLUMNS.map((k) => EXPORT_HEADERS[k])];
  for (let i = 0; i < N; i++) {
    const c = fakeContact(i, rand);
    const cells: Record<string, string> = {
      id: '', firstName: c.firstName, lastName: c.lastName, company: c.company, title: '', workNumber: c.workNumber,
      mobileNumber: c.mobileNumber, homeNumber: '', faxNumber: '', email: '', groups: c.groups.join('; '),
    };
    rows.push(EXPORT_COLUMNS.map((k) => neutralizeCell(cells[k])));
  }
  return Buffer.from('\uFEFF' + stringify(rows, { record_delimiter: 'windows' }), 'utf8');
}

function freshStore(dir: string, name: string): { store: Store; ctx: AppContext } {
  const store = openSqliteStore(join(dir, `${name}.db`));
  store.createAccount({ id: 'bench', name: 'Bench', region: 'US' }, ACTOR);
  const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
  // runImport only reads ctx.config and ctx.store
  return { store, ctx: { config, store } as AppContext };
}

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const rate = (s: number) => `${Math.round(N / s).toLocaleString('en-US')} rows/s`;

export async function run(): Promise<void> {
  ensureDebianTools(['sqlite3'], ['sqlite3']);
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-import-bench-'));
  try {
    const csvFile = join(dir, 'contacts.csv');
    const csv = generateCsv();
    writeFileSync(csvFile, csv);
    console.log(`generated ${N.toLocaleString('en-US')} rows, ${(csv.length / 1e6).toFixed(1)} MB`);

    // 1. End to end through runImport.
    const a = freshStore(dir, 'end-to-end');
    let t = process.hrtime.bigint();
    const report = await runImport(a.ctx, a.store.getAccount('bench')!, readFileSync(csvFile), 'text/csv', { mode: 'add' }, ACTOR);
    const total = secs(t);
    if (report.counts.created !== N) throw new Error(`expected ${N} created, got ${JSON.stringify(report.counts)}`);
    // The weekly re-sync case: export, then import that file unchanged with mode=upsert.
    const account = a.store.getAccount('bench')!;
    t = process.hrtime.bigint();
    const exported = await exportContacts(a.ctx, account, { format: 'csv' });
    const tExport = secs(t);
    t = process.hrtime.bigint();
    const again = await runImport(a.ctx, account, exported.body, 'text/csv', { mode: 'upsert' }, ACTOR);
    const tAgain = secs(t);
    if (again.counts.unchanged !== N || again.written) throw new Error(`round trip changed something: ${JSON.stringify(again.counts)}`);
    a.store.close();

    // 2. sqlite3's own .import of the same file into a bare table.
    const bare = join(dir, 'bare.db');
    const columns = EXPORT_COLUMNS.map((k) => `"${k}" TEXT`).join(', ');
    execFileSync('sqlite3', [bare, `CREATE TABLE t (${columns});`]);
    t = process.hrtime.bigint();
    execFileSync('sqlite3', [bare, '.import --csv --skip 1 ' + csvFile + ' t']);
    const floor = secs(t);
    const imported = Number(execFileSync('sqlite3', [bare, 'SELECT count(*) FROM t;']).toString().trim());
    if (imported !== N) throw new Error(`sqlite3 .import loaded ${imported} rows`);

    // 3. Where the time goes: the same steps one by one, into another fresh store.
    const b = freshStore(dir, 'phases');
    t = process.hrtime.bigint();
    const sheet = await readSheet(readFileSync(csvFile), 'text/csv');
    const tRead = secs(t);
    t = process.hrtime.bigint();
    const header = mapHeader(sheet.rows[0].cells);
    if (!header.ok) throw new Error(header.reason);
    const plan = planImport(sheet.rows.slice(1), header.map, [], 'US', 'add');
    const tPlan = secs(t);
    t = process.hrtime.bigint();
    b.store.applyBatch('bench', { source: 'shared' }, plan.ops, { ...ACTOR, batchId: 'bench' });
    const tBatch = secs(t);
    b.store.close();

    console.log(`dialbook runImport (end to end)   ${total.toFixed(2)} s  ${rate(total)}`);
    console.log(`sqlite3 .import (bare table)      ${floor.toFixed(2)} s  ${rate(floor)}`);
    console.log(`ratio                             ${(total / floor).toFixed(1)}x slower than sqlite3 .import`);
    console.log(`target >= 20,000 rows/s:          ${N / total >= 20_000 ? 'met' : 'NOT met'}`);
    console.log(`export CSV of the imported rows   ${tExport.toFixed(2)} s  ${rate(tExport)}`);
    console.log(`re-import it, mode=upsert         ${tAgain.toFixed(2)} s  ${rate(tAgain)} (all unchanged, nothing written)`);
    console.log('phases (second run):');
    console.log(`  read (decode + CSV parse)       ${tRead.toFixed(2)} s  ${(tRead / N * 1e6).toFixed(1)} us/row`);
    console.log(`  plan (validate + normalise)     ${tPlan.toFixed(2)} s  ${(tPlan / N * 1e6).toFixed(1)} us/row`);
    console.log(`  store.applyBatch (one txn)      ${tBatch.toFixed(2)} s  ${(tBatch / N * 1e6).toFixed(1)} us/row`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
