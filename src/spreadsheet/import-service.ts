// Spreadsheet import, shared by the admin API route and the CLI: read the file, plan against the
// account's shared contacts, then write everything in ONE store transaction (atomic) or nothing.
// Large files run in a worker thread with a store of its own (see import-thread.ts). What an
// import is (options, job, report) is in import-job.ts, which the thread's side reads too.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.ts';
import type { ThreadStore } from '../store/open-store.ts';
import type { BatchOp } from '../store/async-store.ts';
import { runImportThread } from './import-thread.ts';
import { importOptionsSchema, type ImportJob, type ImportOptions, type ImportReport } from './import-job.ts';
import type { Account } from '../domain/account-schemas.ts';
import type { Actor } from '../domain/audit.ts';
import { detailsFromZod, invalidInput, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.ts';
import { ImportPlanner, storedContentKeys, type ImportPlan } from './import-plan.ts';
import { checkSheet, type CheckJob, type CheckMessage, type SheetHead } from './sheet-check.ts';

/** Most row errors and duplicates listed in one report (the counts stay exact). */
export const MAX_REPORTED = 1000;

export function parseImportOptions(raw: unknown): ImportOptions {
  const r = importOptionsSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const details = detailsFromZod(r.error.issues, raw);
  throw invalidInput('import options', details, 'options');
}

/** Where the rows of an upload are read and checked: here, or in the check thread. */
export type RowChecker = (job: CheckJob) => AsyncIterable<CheckMessage>;

/** Ends the import's transaction without writing: the plan had nothing to write. */
class NothingToWrite extends Error {}

/**
 * The import itself, against one store: read (limits checked while reading), plan against the
 * account's shared contacts, write in ONE transaction (`importContacts`) or nothing. The plan is
 * made inside the import's chunk source, which the store first asks for a chunk once the
 * transaction holds the account's write lock: the contacts read then are exactly those the
 * import changes, and no other write to the account can slip in between plan and write.
 *
 * - `streaming` (the import thread): rows are read and checked by `checker` (the check thread)
 *   while the transaction is open, and add-mode rows are written slice by slice while the next
 *   slices are checked. A bad row with onError=abort, or any failure, rolls everything back.
 * - Otherwise (small files on the main thread, the CLI) the file is read and checked first, so
 *   the lock is held only to read the account, plan and write.
 */
export async function importIntoStore(
  db: ThreadStore, job: ImportJob, buf: Buffer, checker: RowChecker = checkSheet, streaming = false,
): Promise<ImportReport> {
  const opts = parseImportOptions(job.options);
  const limits = job.limits;
  if (buf.length > limits.maxUploadBytes) {
    throw new PayloadTooLargeError(`The file is ${buf.length} bytes; the limit is ${limits.maxUploadBytes} (import.maxUploadBytes)`);
  }
  const account = await db.getAccount(job.accountId);
  if (!account) throw new NotFoundError('Account');
  const scope = { source: 'shared' } as const;
  const batchId = randomUUID(); // on every audit entry of the batch
  const write = !opts.dryRun;
  const checkJob = (storedKeys: string[]): CheckJob => ({ file: buf, contentType: job.contentType, limits, region: account.region, mode: opts.mode, storedKeys });
  // Not streaming: every message of the check, before any lock is taken.
  const checked: CheckMessage[] | null = streaming ? null : [];
  if (checked) for await (const message of checker(checkJob([]))) checked.push(message);

  let report: ImportReport | null = null;
  /** The ops to write, slice by slice as planned; sets `report` once the plan is finished. */
  async function* planned(): AsyncGenerator<BatchOp[]> {
    const stored = await db.allContacts(account!.id, scope);
    // The check thread compares rows with the stored contacts' content keys made here, once.
    const storedKeys = checked ? undefined : storedContentKeys(stored);
    const messages: AsyncIterable<CheckMessage> | Iterable<CheckMessage> = checked ?? checker(checkJob(storedKeys!));
    let head: SheetHead | null = null;
    let planner: ImportPlanner | null = null;
    let readRows = 0;
    for await (const message of messages) {
      if (message.kind === 'head') {
        head = message.head;
        planner = new ImportPlanner(head.header, stored, account!.region, opts.mode, storedKeys, MAX_REPORTED);
        continue;
      }
      if (!planner) throw new Error('the sheet check sent rows before the head');
      readRows += message.rows.length;
      planner.accept(message.rows);
      // write as we go, unless a bad row already means nothing will be written
      const ops = planner.takeOps();
      if (write && ops.length > 0 && !(opts.onError === 'abort' && planner.badRows > 0)) yield ops;
    }
    if (!head || !planner) throw new Error('the sheet check ended without reading the file');
    const plan = planner.finish();
    report = reportOf(head, readRows, plan, opts);
    if (!write) return;
    if (report.aborted) {
      const more = plan.errors.length > MAX_REPORTED ? [{ reason: `and ${plan.errors.length - MAX_REPORTED} more errors` }] : [];
      throw new ValidationError(
        `Nothing was imported: ${plan.badRows} of ${report.rows} rows are invalid (use onError=skip to import the valid rows)`,
        [...report.errors, ...more],
      );
    }
    if (planner.opCount === 0) throw new NothingToWrite(); // no revision taken for nothing
    const rest = planner.takeOps();
    if (rest.length > 0) yield rest;
  }

  if (!write) {
    // A dry run writes nothing, so it needs no lock: the plan against what is stored now.
    for await (const ops of planned()) void ops;
    return report!;
  }
  try {
    await db.importContacts(account.id, scope, planned(), { ...job.actor, batchId });
  } catch (err) {
    if (err instanceof NothingToWrite) return report!;
    throw err;
  }
  return { ...report!, written: true, batchId };
}

/** The report of a finished plan (nothing written yet). */
function reportOf(head: SheetHead, readRows: number, plan: ImportPlan, opts: ImportOptions): ImportReport {
  if (head.rowErrors.length) {
    for (const e of head.rowErrors) plan.errors.push(e);
    plan.errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    plan.badRows += head.rowErrors.length;
    plan.counts.skipped += head.rowErrors.length;
  }
  if (head.dropped.length) {
    plan.warnings.push(...head.dropped.map((d) => ({ ...d, code: 'value_not_imported' as const })));
    plan.warnings.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    plan.warningCount += head.dropped.length;
  }
  return {
    dryRun: opts.dryRun, mode: opts.mode, onError: opts.onError, written: false,
    aborted: plan.badRows > 0 && opts.onError === 'abort', batchId: null,
    format: head.format, source: head.source, mapping: head.mapping,
    encoding: head.encoding, delimiter: head.delimiter,
    rows: readRows + head.rowErrors.length, counts: plan.counts, errorCount: plan.errors.length,
    errors: plan.errors.slice(0, MAX_REPORTED),
    warningCount: plan.warningCount, warnings: plan.warnings.slice(0, MAX_REPORTED), duplicates: plan.duplicates.slice(0, MAX_REPORTED),
    ignoredColumns: head.header.ignored,
  };
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
  if (buf.length < limits.threadMinBytes) return importIntoStore(ctx.db, job, buf);
  return runImportThread(ctx.db.locator, job, buf);
}
