// What one import is, for both sides of the thread line: its options (as the API and the CLI
// take them), the job the import thread is given, and the report it gives back. Here and not in
// import-service.ts, so that import-thread.ts can name them without importing the service that
// imports it.
import { z } from 'zod';
import type { Actor } from '../domain/audit.ts';
import type { ContactWarning } from '../domain/prepare-contact.ts';
import type { Config } from '../config/config-schema.ts';
import type { ErrorDetail } from '../errors.ts';
import type { SourceFormat } from './header-aliases.ts';
import type { DuplicateRow, ImportCounts } from './import-plan.ts';

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

/** What one import needs besides the file: the store it writes to and the limits it reads with. */
export interface ImportJob {
  accountId: string;
  contentType: string | null | undefined;
  options: unknown;
  actor: Actor;
  limits: Config['import'];
}
