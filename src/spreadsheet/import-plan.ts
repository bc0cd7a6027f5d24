// Decides what an import does, without touching the store: validates every row the same way the
// API does, matches rows to stored contacts (by ID, then by identical content), finds duplicates
// within the file, and lists the store operations. Pure, so dry runs and real runs agree.
// A row whose cells are exactly a stored contact's fields is not validated again: it can only be
// "unchanged" (that contact passed the same validation when it was written), and re-importing an
// export is the common case, so this halves its cost. Anything else goes through tryPrepareContact.
import { contactFields, type Contact, type ContactInput } from '../domain/contact-schemas.ts';
import { tryPrepareContact, type ContactWarning, type PreparedContact } from '../domain/prepare-contact.ts';
import type { ErrorDetail } from '../errors.ts';
import type { BatchOp } from '../store/store.ts';
import type { SheetRow } from './csv-dialect.ts';
import type { HeaderMap } from './header-aliases.ts';
import { columnTitle, rowInput } from './row-input.ts';

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
  /** Accepted rows whose text was cleaned or whose numbers have no E.164 form (row order). */
  warnings: ContactWarning[];
  /** Rows with at least one error. */
  badRows: number;
  duplicates: DuplicateRow[];
  ops: BatchOp[];
}

interface GoodRow {
  row: number;
  id: string;
  input: ContactInput;
  /** Null until needed for rows that match a stored contact exactly (see header). */
  contact: PreparedContact | null;
  key: string;
}

/** What the passes below share while they walk the file. */
interface PlanState {
  plan: ImportPlan;
  header: HeaderMap;
  storedById: Map<string, Contact>;
  /** Stored contacts the file keeps (matched by ID or content) or must not lose (bad rows). */
  kept: Set<string>;
  /** First row of each content key seen in the file. */
  fileKeys: Map<string, number>;
  /** Row of each stored ID the file names. */
  idRows: Map<string, number>;
  /** First stored contact per content key. */
  storedByKey: Map<string, string>;
  region: string;
}

export function planImport(rows: SheetRow[], header: HeaderMap, stored: Contact[], region: string, mode: ImportMode): ImportPlan {
  const st: PlanState = {
    plan: { counts: { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 }, errors: [], warnings: [], badRows: 0, duplicates: [], ops: [] },
    header, storedById: new Map(stored.map((c) => [c.id, c])), kept: new Set(), fileKeys: new Map(), idRows: new Map(),
    storedByKey: new Map(), region,
  };
  for (const c of stored) {
    const key = contentKey(contactFields(c));
    if (!st.storedByKey.has(key)) st.storedByKey.set(key, c.id);
  }
  const good = validateRows(st, rows, mode);
  // Rows naming a stored contact first, so that content matching never picks a contact the same
  // file is changing.
  for (const g of good) if (g.id && st.storedById.has(g.id)) planIdRow(st, g);
  for (const g of good) if (!(g.id && st.storedById.has(g.id))) planContentRow(st, g);
  if (mode === 'replace') {
    for (const c of stored) {
      if (st.kept.has(c.id)) continue;
      st.plan.counts.deleted++;
      st.plan.ops.push({ op: 'delete', id: c.id });
    }
  }
  st.plan.errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  st.plan.warnings.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return st.plan;
}

/** Every row through the API's validation (unless it is a stored contact's exact copy); bad rows are reported and skipped. */
function validateRows(st: PlanState, rows: SheetRow[], mode: ImportMode): GoodRow[] {
  const good: GoodRow[] = [];
  for (const { row, cells } of rows) {
    const { id, input, dropped } = rowInput(cells, st.header);
    for (const d of dropped) st.plan.warnings.push({ row, field: d.field, value: d.value, code: 'value_not_imported', reason: d.reason });
    const g: GoodRow = { row, id: mode === 'add' ? '' : id, input, contact: null, key: contentKey(asStored(input)) };
    if (st.storedByKey.has(g.key) || prepared(st, g, id)) good.push(g);
  }
  return good;
}

/** The row's prepared contact, validating it on first use; null (and reported) when it is bad. */
function prepared(st: PlanState, g: GoodRow, rawId = g.id): PreparedContact | null {
  if (g.contact) return g.contact;
  const r = tryPrepareContact(g.input, st.region);
  if (r.ok) {
    for (const w of r.warnings) st.plan.warnings.push({ ...w, row: g.row, field: columnTitle(w.field, st.header) ?? w.field });
    g.contact = r.contact;
    g.key = contentKey(r.contact.fields);
    return g.contact;
  }
  st.plan.badRows++;
  st.plan.counts.skipped++;
  // in replace mode, a stored contact whose row is bad is kept, not deleted
  if (rawId && st.storedById.has(rawId)) st.kept.add(rawId);
  for (const e of r.errors) st.plan.errors.push({ row: g.row, field: columnTitle(e.field, st.header), value: e.value, reason: e.reason });
  return null;
}

/** A row's cells in the shape of a stored contact's fields (absent columns are empty). */
function asStored(i: ContactInput): Required<ContactInput> {
  return {
    firstName: i.firstName ?? '', lastName: i.lastName ?? '', company: i.company ?? '', title: i.title ?? '',
    workNumber: i.workNumber ?? '', mobileNumber: i.mobileNumber ?? '', homeNumber: i.homeNumber ?? '',
    faxNumber: i.faxNumber ?? '', email: i.email ?? '', groups: i.groups ?? [],
  };
}

/** A row whose ID is a stored contact: update it, or count it unchanged. */
function planIdRow(st: PlanState, g: GoodRow): void {
  const firstRow = st.idRows.get(g.id);
  if (firstRow !== undefined) {
    st.plan.badRows++;
    st.plan.counts.skipped++;
    st.plan.errors.push({ row: g.row, field: st.header.titles.id, value: g.id, reason: `the same ID is already on row ${firstRow}` });
    return;
  }
  st.idRows.set(g.id, g.row);
  st.kept.add(g.id);
  if (!st.fileKeys.has(g.key)) st.fileKeys.set(g.key, g.row);
  if (contentKey(contactFields(st.storedById.get(g.id)!)) === g.key) {
    st.plan.counts.unchanged++;
    return;
  }
  const contact = prepared(st, g);
  if (!contact) return;
  st.plan.counts.updated++;
  st.plan.ops.push({ op: 'update', id: g.id, contact });
}

/** A row without a known ID: a duplicate of an earlier row, identical to a stored contact, or new. */
function planContentRow(st: PlanState, g: GoodRow): void {
  const sameRow = st.fileKeys.get(g.key);
  if (sameRow !== undefined) {
    st.plan.counts.skipped++;
    st.plan.duplicates.push({ row: g.row, sameAsRow: sameRow, reason: `same contact as row ${sameRow}` });
    return;
  }
  st.fileKeys.set(g.key, g.row);
  const match = st.storedByKey.get(g.key);
  if (match !== undefined && !st.idRows.has(match)) {
    st.kept.add(match);
    st.plan.counts.unchanged++;
    st.plan.duplicates.push({ row: g.row, contactId: match, reason: 'identical to a stored contact' });
    return;
  }
  const contact = prepared(st, g);
  if (!contact) return;
  st.plan.counts.created++;
  st.plan.ops.push({ op: 'create', contact });
}

/** Identity of a contact's content: every field as stored, groups in any order and case. */
export function contentKey(f: Required<ContactInput>): string {
  const groups = f.groups.map((g) => g.toLowerCase()).sort();
  return JSON.stringify([f.firstName, f.lastName, f.company, f.title, f.workNumber, f.mobileNumber, f.homeNumber, f.faxNumber, f.email, groups]);
}
