// `dialbook import` and `dialbook export`: the same import and export paths as the admin API.
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config/config-schema.ts';
import { NotFoundError } from '../errors.ts';
import { buildContext, closeContext } from '../server.ts';
import type { ExportFormat } from '../spreadsheet/export-file.ts';
import { buildExport } from '../spreadsheet/export-service.ts';
import { runImport } from '../spreadsheet/import-service.ts';

const CONTENT_TYPE: Record<string, string> = {
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
};

export function registerSpreadsheetCommands(program: Command, config: () => Config): void {
  program.command('import <account> <file>')
    .description('import a CSV or XLSX file into the account\'s shared contacts')
    .option('--mode <mode>', 'add | upsert | replace', 'add')
    .option('--on-error <policy>', 'abort | skip', 'abort')
    .option('--dry-run', 'report what would happen, change nothing')
    .action(async (accountId: string, file: string, o: { mode: string; onError: string; dryRun?: boolean }) => {
      const ctx = await buildContext({ ...config(), log: { level: 'silent' } });
      try {
        const account = await ctx.db.getAccount(accountId);
        if (!account) throw new NotFoundError(`Account ${accountId}`);
        const report = await runImport(ctx, account, readFileSync(file), CONTENT_TYPE[extname(file).toLowerCase()] ?? null,
          { mode: o.mode, onError: o.onError, dryRun: o.dryRun ?? false }, { id: 'cli' });
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } finally {
        await closeContext(ctx);
      }
    });

  program.command('export <account> <file>')
    .description('export the account\'s shared contacts (format from the file name: .csv, .xlsx or .vcf)')
    .option('--group <name>', 'only this group')
    .action(async (accountId: string, file: string, o: { group?: string }) => {
      const ctx = await buildContext({ ...config(), log: { level: 'silent' } });
      try {
        const account = await ctx.db.getAccount(accountId);
        if (!account) throw new NotFoundError(`Account ${accountId}`);
        const ext = extname(file).toLowerCase().slice(1);
        const format: ExportFormat = ext === 'xlsx' || ext === 'vcf' ? ext : 'csv';
        const out = await buildExport(ctx.db, account, { format, group: o.group });
        writeFileSync(file, out.body);
        process.stderr.write(`${out.count} contacts written to ${file}\n`);
      } finally {
        await closeContext(ctx);
      }
    });
}
