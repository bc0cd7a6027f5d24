// Spreadsheet import, shared by the admin API route and the CLI: read the file, plan against the
// account's shared contacts, then write everything in ONE store batch (atomic) or nothing. The
// work runs in a worker thread with its own store connection (see import-thread.ts).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../app-context.ts';
import type { Config } from '../config/config-schema.ts';
import type { Store } from '../store/store.ts';
import { databaseFile, runImportThread } from './import-thread.ts';
import type { Account } from '../domain/account-schemas.ts';
import type { Actor } from '../domain/audit.ts';
import type { ContactWarning } from '../domain/prepare-contact.ts';
import { ConflictError, detailsFromZod, NotFoundError, PayloadTooLargeError, ValidationError, type ErrorDetail } from '../errors.ts';
import { detectAddressBook } from './address-book-formats.ts';
import { describeMapping, mapHeader, type SourceFormat } from './header-aliases.ts';
import { planImport, type DuplicateRow, type ImportCounts } from './import-plan.ts';
import { readSheet } from './sheet-reader.ts';
import { VCARD_MAPPING } from './vcard-reader.ts';

/** Most row errors and duplicates listed in one report (the counts stay exact). */
export const MAX_REPORTED = 1000;

const flag = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['', 'true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean());

export const importOptionsSchema = z.object({
  dryRun: flag.default(false).describe('Report what would happen, change nothing'),
  mode: z.enum(['add', 'upsert', 'replace']).default('add')
    .describe('add: every row is a new contact; upsert: rows with a known ID update that contact; replace: the file becomes the whole shared list'),
  onError: z.enum(['abort', 'skip']).default('abort')
    .describe('abort: any bad row means nothing is written; skip: valid rows are written, bad ones reported'),
}).strict();
export type ImportOptions = z.infer<typeof importOptionsSchema>;

export interface ImportReport {
  dryRun: boolean;
  mode: ImportOptions['mode'];
  onError: ImportOptions['onError'];
  /** True when the store was changed (one batch; its audit entries carry batchId). */
  written: boolean;
  /** True when onError=abort and a row was bad: nothing was (or, in a dry run, would be) written. */
  aborted: boolean;
  batchId: string | null;
  format: 'csv' | 'xlsx' | 'vcard';
  /** Whose layout the file has: our columns (or a hand-made sheet), Google or Outlook CSV, vCard. */
  source: SourceFormat;
  /** Which column feeds which field (shown in the portal's preview). */
  mapping: { column: string; field: string }[];
  encoding?: string;
  delimiter?: string;
  /** Data rows read (blank rows not counted). */
  rows: number;
  counts: ImportCounts;
  errorCount: number;
  errors: ErrorDetail[];
  /** Accepted rows with cleaned text or numbers kept without an E.164 form (not errors). */
  warningCount: number;
  warnings: ContactWarning[];
  duplicates: DuplicateRow[];
  ignoredColumns: string[];
}

export function parseImportOptions(raw: unknown): ImportOptions {
  const r = importOptionsSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const details = detailsFromZod(r.error.issues, raw);
  throw new ValidationError('Invalid import options: ' + details.map((d) => `${d.field ?? 'options'}: ${d.reason}`).join('; '), details);
}

/** What one import needs besides the file: the store it writes to and the limits it reads with. */
export interface ImportJob {
  accountId: string;
  contentType: string | null | undefined;
  options: unknown;
  actor: Actor;
  limits: Config['import'];
}

/**
 * The import itself, against one store: read (limits checked while reading), plan against the
 * account's shared contacts, write in ONE batch or nothing. Runs in the import worker thread
 * (import-thread.ts) on that thread's own connection; the CLI and benchmarks may call it directly.
 */
export async function importIntoStore(store: Store, job: ImportJob, buf: Buffer): Promise<ImportReport> {
  const opts = parseImportOptions(job.options);
  const limits = job.limits;
  if (buf.length > limits.maxUploadBytes) {
    throw new PayloadTooLargeError(`The file is ${buf.length} bytes; the limit is ${limits.maxUploadBytes} (import.maxUploadBytes)`);
  }
  const account = store.getAccount(job.accountId);
  if (!account) throw new NotFoundError('Account');
  const sheet = await readSheet(buf, job.contentType, limits);
  const [headerRow, ...rows] = sheet.rows;
  if (!headerRow) throw new ValidationError('The file has no rows: the first row must be a header', [{ row: 1, reason: 'no header row' }]);
  if (rows.length > limits.maxRows) {
    throw new PayloadTooLargeError(`The file has ${rows.length} rows; the limit is ${limits.maxRows} (import.maxRows)`);
  }
  const book = sheet.format === 'vcard' ? null : detectAddressBook(headerRow.cells);
  const header = book ? { ok: true as const, map: book } : mapHeader(headerRow.cells);
  if (!header.ok) throw new ValidationError(`Unrecognised header: ${header.reason}`, [{ row: headerRow.row, reason: header.reason }]);
  const source: SourceFormat = sheet.format === 'vcard' ? 'vcard' : header.map.source ?? 'columns';

  // Another connection (the API, on the main thread) may write while this one plans: the plan is
  // made again if the account's revision moved before the batch starts (a check and a write with
  // nothing awaited in between).
  for (let attempt = 1; ; attempt++) {
    const revision = store.getRevision(account.id);
    const stored = store.allContacts(account.id, { source: 'shared' });
    const plan = planImport(rows, header.map, stored, account.region, opts.mode);
    if (sheet.rowErrors?.length) {
      plan.errors.push(...sheet.rowErrors);
      plan.errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
      plan.badRows += sheet.rowErrors.length;
      plan.counts.skipped += sheet.rowErrors.length;
    }
    if (sheet.dropped?.length) {
      plan.warnings.push(...sheet.dropped.map((d) => ({ ...d, code: 'value_not_imported' as const })));
      plan.warnings.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    }
    const readRows = rows.length + (sheet.rowErrors?.length ?? 0);
    const aborted = plan.badRows > 0 && opts.onError === 'abort';
    const report: ImportReport = {
      dryRun: opts.dryRun, mode: opts.mode, onError: opts.onError, written: false, aborted, batchId: null,
      format: sheet.format, source, mapping: source === 'vcard' ? VCARD_MAPPING : describeMapping(headerRow.cells, header.map),
      encoding: sheet.encoding, delimiter: sheet.delimiter,
      rows: readRows, counts: plan.counts, errorCount: plan.errors.length,
      errors: plan.errors.slice(0, MAX_REPORTED),
      warningCount: plan.warnings.length, warnings: plan.warnings.slice(0, MAX_REPORTED), duplicates: plan.duplicates.slice(0, MAX_REPORTED),
      ignoredColumns: header.map.ignored,
    };
    if (aborted && !opts.dryRun) {
      const more = plan.errors.length > MAX_REPORTED ? [{ reason: `and ${plan.errors.length - MAX_REPORTED} more errors` }] : [];
      throw new ValidationError(
        `Nothing was imported: ${plan.badRows} of ${readRows} rows are invalid (use onError=skip to import the valid rows)`,
        [...report.errors, ...more],
      );
    }
    if (aborted || opts.dryRun || plan.ops.length === 0) return report;
    if (store.getRevision(account.id) !== revision) {
      if (attempt < 3) continue;
      throw new ConflictError('The shared contacts kept changing while the file was being imported: nothing was imported, try again');
    }
    const batchId = randomUUID();
    store.applyBatch(account.id, { source: 'shared' }, plan.ops, { ...job.actor, batchId });
    return { ...report, written: true, batchId };
  }
}

/**
 * POST /import and `dialbook import`: the options and size are checked here. Files of at least
 * import.threadMinBytes are read, planned and written in the import worker thread, so phones and
 * the API keep being answered during a long import; smaller ones (a few hundred rows, tens of
 * milliseconds) run here, which spares them the worker's start-up.
 */
export async function runImport(
  ctx: AppContext, account: Account, buf: Buffer, contentType: string | null | undefined,
  options: Partial<ImportOptions> | Record<string, unknown>, actor: Actor,
): Promise<ImportReport> {
  parseImportOptions(options);
  const limits = ctx.config.import;
  if (buf.length > limits.maxUploadBytes) {
    throw new PayloadTooLargeError(`The file is ${buf.length} bytes; the limit is ${limits.maxUploadBytes} (import.maxUploadBytes)`);
  }
  const job: ImportJob = { accountId: account.id, contentType, options, actor, limits };
  if (buf.length < limits.threadMinBytes) return importIntoStore(ctx.store, job, buf);
  return runImportThread(databaseFile(ctx.config), job, buf);
}
