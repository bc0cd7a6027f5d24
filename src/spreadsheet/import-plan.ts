// Decides what an import does, without touching the store: validates every row the same way the
// API does, matches rows to stored contacts (by ID, then by identical content), finds duplicates
// within the file, and lists the store operations. Pure, so dry runs and real runs agree.
// A row whose cells are exactly a stored contact's fields is not validated again: it can only be
// "unchanged" (that contact passed the same validation when it was written), and re-importing an
// export is the common case, so this halves its cost. Anything else goes through tryPrepareContact.
import { hash } from 'node:crypto';
import { contactFields, type Contact, type ContactFields, type ContactInput } from '../domain/contact-schemas.ts';
import { tryPrepareContact, type ContactWarning, type PreparedContact, type PrepareResult } from '../domain/prepare-contact.ts';
import { groupKey } from '../domain/text-fold.ts';
import type { ErrorDetail } from '../errors.ts';
import { compactFieldsJson } from '../store/audit-fields.ts';
import type { BatchOp } from '../store/store.ts';
import type { SheetRow } from './csv-dialect.ts';
import type { HeaderMap } from './header-aliases.ts';
import { columnTitle, rowInput, type DroppedValue } from './row-input.ts';

export type ImportMode = 'add' | 'upsert' | 'replace';

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  skipped: number;
}

/** A row that was not added because the same contact is already in the file or the store. */
export interface DuplicateRow {
  row: number;
  sameAsRow?: number;
  contactId?: string;
  reason: string;
}

export interface ImportPlan {
  counts: ImportCounts;
  errors: ErrorDetail[];
  /**
   * Accepted rows whose text was cleaned or whose numbers have no E.164 form (row order): the
   * first `maxWarnings` of them (see ImportPlanner); warningCount counts them all.
   */
  warnings: ContactWarning[];
  warningCount: number;
  /** Rows with at least one error. */
  badRows: number;
  duplicates: DuplicateRow[];
  /** The ops not yet taken by ImportPlanner.takeOps (all of them when nothing was taken). */
  ops: BatchOp[];
}

/**
 * One row read and checked: what the planner needs of it. Checking is pure and per row, so it
 * may run in another thread (check-thread.ts) while the planner writes earlier rows.
 */
export interface CheckedRow {
  row: number;
  /** The ID cell ('' in add mode, where IDs are not used). */
  id: string;
  /** Values of the row the contact has no field for. */
  dropped: DroppedValue[];
  /** The cells in the shape of a stored contact's fields (see contentKey). */
  rawKey: string;
  /** The API's validation; null when the row is an exact copy of a stored contact (see header). */
  result: PrepareResult | null;
  /** The row as contact input, kept only when result is null (validated if it is needed after all). */
  input?: ContactInput;
  /** The content key of the prepared contact when it differs from rawKey (cleaned text, reformatted numbers). */
  preparedKey?: string;
}

/** Reads and validates one row (validation is skipped for exact copies of stored contacts). */
export function checkRow({ row, cells }: SheetRow, header: HeaderMap, region: string, mode: ImportMode, storedKeys: ReadonlySet<string>): CheckedRow {
  const { id, input, dropped } = rowInput(cells, header);
  const asCells = asStored(input);
  const rawKey = contentKey(asCells);
  const checked: CheckedRow = { row, id: mode === 'add' ? '' : id, dropped, rawKey, result: null };
  if (storedKeys.has(rawKey)) checked.input = input;
  else {
    checked.result = tryPrepareContact(input, region);
    if (checked.result.ok) checked.result.contact.fieldsJson = compactFieldsJson(checked.result.contact.fields);
    // most rows come out of validation as they went in: their key is the one just made
    if (checked.result.ok && !sameFields(asCells, checked.result.contact.fields)) {
      const key = contentKey(checked.result.contact.fields);
      if (key !== rawKey) checked.preparedKey = key;
    }
  }
  return checked;
}

interface GoodRow {
  row: number;
  id: string;
  checked: CheckedRow;
  /** Null until needed for rows that match a stored contact exactly (see header). */
  contact: PreparedContact | null;
  key: string;
}

/**
 * Plans an import row by row. In add mode each accepted row is planned at once (a new row can
 * only repeat an earlier row or a stored contact), so its op can be written while later rows
 * are still being checked; in upsert and replace mode rows naming a stored contact must be
 * planned first, so the plan is made when the last row is in. The result does not depend on how
 * the rows were sliced.
 */
export class ImportPlanner {
  private readonly plan: ImportPlan = {
    counts: { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 }, errors: [], warnings: [], warningCount: 0, badRows: 0, duplicates: [], ops: [],
  };
  private readonly storedById: Map<string, Contact>;
  /** Stored contacts the file keeps (matched by ID or content) or must not lose (bad rows). */
  private readonly kept = new Set<string>();
  /** First row of each content key seen in the file. */
  private readonly fileKeys = new Map<string, number>();
  /** Row of each stored ID the file names. */
  private readonly idRows = new Map<string, number>();
  /** Content key of each stored contact, by ID. */
  private readonly storedKeyById = new Map<string, string>();
  /** First stored contact per content key. */
  private readonly storedByKey = new Map<string, string>();
  /** Accepted rows waiting for the last one (upsert and replace). */
  private readonly waiting: GoodRow[] = [];
  /** Ops handed out by takeOps: counted, not kept (a million of them held 1.6 GB). */
  private taken = 0;

  /** storedKeys: storedContentKeys(stored), when the caller made them already (for the check thread). */
  constructor(
    private readonly header: HeaderMap,
    private readonly stored: Contact[],
    private readonly region: string,
    private readonly mode: ImportMode,
    storedKeys: string[] = storedContentKeys(stored),
    /**
     * Warnings kept (the report lists the first ones and counts the rest): a million-row file
     * from abroad warns on most rows, each warning an object of its own (150,000 of them were
     * about 25 MB of the import thread's heap).
     */
    private readonly maxWarnings = Infinity,
  ) {
    this.storedById = new Map(stored.map((c) => [c.id, c]));
    stored.forEach((c, i) => {
      this.storedKeyById.set(c.id, storedKeys[i]);
      if (!this.storedByKey.has(storedKeys[i])) this.storedByKey.set(storedKeys[i], c.id);
    });
  }

  /** Rows with at least one error so far. */
  get badRows(): number {
    return this.plan.badRows;
  }

  /** The next rows, in file order. */
  accept(rows: CheckedRow[]): void {
    for (const checked of rows) {
      for (const d of checked.dropped) this.warn({ row: checked.row, field: d.field, value: d.value, code: 'value_not_imported', reason: d.reason });
      const g: GoodRow = { row: checked.row, id: checked.id, checked, contact: null, key: checked.rawKey };
      if (!this.storedByKey.has(g.key) && !this.prepared(g, checked.id)) continue;
      if (this.mode === 'add') this.planContentRow(g);
      else this.waiting.push(g);
    }
  }

  /** Ops planned so far, taken or not. */
  get opCount(): number {
    return this.taken + this.plan.ops.length;
  }

  /**
   * Ops planned since the last call (add mode plans as rows come in; the others at finish). The
   * planner lets go of them: once written, nothing here holds a slice's contacts any more.
   */
  takeOps(): BatchOp[] {
    const ops = this.plan.ops;
    this.plan.ops = [];
    this.taken += ops.length;
    return ops;
  }

  /** Ends the plan: rows that wait for the last one, deletions (replace), reports in row order. */
  finish(): ImportPlan {
    // Rows naming a stored contact first, so that content matching never picks a contact the
    // same file is changing.
    for (const g of this.waiting) if (g.id && this.storedById.has(g.id)) this.planIdRow(g);
    for (const g of this.waiting) if (!(g.id && this.storedById.has(g.id))) this.planContentRow(g);
    this.waiting.length = 0;
    if (this.mode === 'replace') {
      for (const c of this.stored) {
        if (this.kept.has(c.id)) continue;
        this.plan.counts.deleted++;
        this.plan.ops.push({ op: 'delete', id: c.id });
      }
    }
    this.plan.errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    this.keepFirstWarnings();
    return this.plan;
  }

  private warn(w: ContactWarning): void {
    this.plan.warningCount++;
    this.plan.warnings.push(w);
    if (this.plan.warnings.length >= 2 * this.maxWarnings + 1000) this.keepFirstWarnings();
  }

  /** The warnings in row order, the first maxWarnings of them (rows may be planned out of order). */
  private keepFirstWarnings(): void {
    this.plan.warnings.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    if (this.plan.warnings.length > this.maxWarnings) this.plan.warnings.length = this.maxWarnings;
  }

  /** The row's prepared contact, validating it on first use; null (and reported) when it is bad. */
  private prepared(g: GoodRow, rawId = g.id): PreparedContact | null {
    if (g.contact) return g.contact;
    const r = g.checked.result ?? tryPrepareContact(g.checked.input ?? {}, this.region);
    if (r.ok) {
      for (const w of r.warnings) this.warn({ ...w, row: g.row, field: columnTitle(w.field, this.header) ?? w.field });
      g.contact = r.contact;
      g.key = g.checked.result ? g.checked.preparedKey ?? g.checked.rawKey : contentKey(r.contact.fields);
      return g.contact;
    }
    this.plan.badRows++;
    this.plan.counts.skipped++;
    // in replace mode, a stored contact whose row is bad is kept, not deleted
    if (rawId && this.storedById.has(rawId)) this.kept.add(rawId);
    for (const e of r.errors) this.plan.errors.push({ row: g.row, field: columnTitle(e.field, this.header), value: e.value, reason: e.reason });
    return null;
  }

  /** A row whose ID is a stored contact: update it, or count it unchanged. */
  private planIdRow(g: GoodRow): void {
    const firstRow = this.idRows.get(g.id);
    if (firstRow !== undefined) {
      this.plan.badRows++;
      this.plan.counts.skipped++;
      this.plan.errors.push({ row: g.row, field: this.header.titles.id, value: g.id, reason: `the same ID is already on row ${firstRow}` });
      return;
    }
    this.idRows.set(g.id, g.row);
    this.kept.add(g.id);
    if (!this.fileKeys.has(g.key)) this.fileKeys.set(g.key, g.row);
    if (this.storedKeyById.get(g.id) === g.key) {
      this.plan.counts.unchanged++;
      return;
    }
    const contact = this.prepared(g);
    if (!contact) return;
    this.plan.counts.updated++;
    this.plan.ops.push({ op: 'update', id: g.id, contact });
  }

  /** A row without a known ID: a duplicate of an earlier row, identical to a stored contact, or new. */
  private planContentRow(g: GoodRow): void {
    const sameRow = this.fileKeys.get(g.key);
    if (sameRow !== undefined) {
      this.plan.counts.skipped++;
      this.plan.duplicates.push({ row: g.row, sameAsRow: sameRow, reason: `same contact as row ${sameRow}` });
      return;
    }
    this.fileKeys.set(g.key, g.row);
    const match = this.storedByKey.get(g.key);
    if (match !== undefined && !this.idRows.has(match)) {
      this.kept.add(match);
      this.plan.counts.unchanged++;
      this.plan.duplicates.push({ row: g.row, contactId: match, reason: 'identical to a stored contact' });
      return;
    }
    const contact = this.prepared(g);
    if (!contact) return;
    this.plan.counts.created++;
    this.plan.ops.push({ op: 'create', contact });
  }
}

/** The content keys of stored contacts, for checkRow. */
export function storedContentKeys(stored: Contact[]): string[] {
  return stored.map((c) => contentKey(contactFields(c)));
}

/** The whole plan at once, checking every row here (benchmarks). */
export function planImport(rows: SheetRow[], header: HeaderMap, stored: Contact[], region: string, mode: ImportMode): ImportPlan {
  const storedKeys = storedContentKeys(stored);
  const planner = new ImportPlanner(header, stored, region, mode, storedKeys);
  const keys = new Set(storedKeys);
  planner.accept(rows.map((r) => checkRow(r, header, region, mode, keys)));
  return planner.finish();
}

/** A row's cells in the shape of a stored contact's fields (absent columns are empty). */
function asStored(i: ContactInput): ContactFields {
  return {
    firstName: i.firstName ?? '', lastName: i.lastName ?? '', company: i.company ?? '', title: i.title ?? '',
    workNumber: i.workNumber ?? '', mobileNumber: i.mobileNumber ?? '', homeNumber: i.homeNumber ?? '',
    faxNumber: i.faxNumber ?? '', email: i.email ?? '', groups: i.groups ?? [],
  };
}

function sameFields(a: ContactFields, b: ContactFields): boolean {
  return a.firstName === b.firstName && a.lastName === b.lastName && a.company === b.company && a.title === b.title
    && a.workNumber === b.workNumber && a.mobileNumber === b.mobileNumber && a.homeNumber === b.homeNumber
    && a.faxNumber === b.faxNumber && a.email === b.email
    && a.groups.length === b.groups.length && a.groups.every((g, i) => g === b.groups[i]);
}

/**
 * Identity of a contact's content: every field as stored, groups in any order by their key. Kept
 * as the MD5 of that text (16 one-byte characters, 'binary'), not the text itself: the planner
 * holds the key of every row of the file and every stored contact (a million JSON texts of about
 * 100 characters were 130 MB of the import thread's heap; as digests they are 60 MB), and the
 * check thread the stored ones. Two different contents with the same digest would make a row a
 * "duplicate" of the other: for 128 bits and two million keys the odds are about 1 in 10^26.
 */
export function contentKey(f: ContactFields): string {
  const groups = f.groups.map(groupKey).sort();
  return hash('md5', JSON.stringify([f.firstName, f.lastName, f.company, f.title, f.workNumber, f.mobileNumber, f.homeNumber, f.faxNumber, f.email, groups]), 'binary');
}
