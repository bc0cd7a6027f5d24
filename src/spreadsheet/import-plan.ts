// Decides what an import does, without touching the store: validates every row the same way the
// API does, matches rows to stored contacts (by ID, then by identical content), finds duplicates
// within the file, and lists the store operations. Pure, so dry runs and real runs agree.
import { contactFields, type Contact, type ContactInput } from '../domain/contact-schemas.ts';
import { tryPrepareContact, type PreparedContact } from '../domain/prepare-contact.ts';
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
  /** Rows with at least one error. */
  badRows: number;
  duplicates: DuplicateRow[];
  ops: BatchOp[];
}

interface GoodRow { row: number; id: string; contact: PreparedContact; key: string }

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
}

export function planImport(rows: SheetRow[], header: HeaderMap, stored: Contact[], region: string, mode: ImportMode): ImportPlan {
  const st: PlanState = {
    plan: { counts: { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 }, errors: [], badRows: 0, duplicates: [], ops: [] },
    header, storedById: new Map(stored.map((c) => [c.id, c])), kept: new Set(), fileKeys: new Map(), idRows: new Map(),
  };
  const good = validateRows(st, rows, region, mode);
  // Rows naming a stored contact first, so that content matching never picks a contact the same
  // file is changing.
  for (const g of good) if (g.id && st.storedById.has(g.id)) planIdRow(st, g);
  const storedByKey = new Map<string, string>();
  for (const c of stored) {
    const key = contentKey(contactFields(c));
    if (!storedByKey.has(key)) storedByKey.set(key, c.id);
  }
  for (const g of good) if (!(g.id && st.storedById.has(g.id))) planContentRow(st, g, storedByKey);
  if (mode === 'replace') {
    for (const c of stored) {
      if (st.kept.has(c.id)) continue;
      st.plan.counts.deleted++;
      st.plan.ops.push({ op: 'delete', id: c.id });
    }
  }
  return st.plan;
}

/** Every row through the API's validation; bad rows are reported and skipped. */
function validateRows(st: PlanState, rows: SheetRow[], region: string, mode: ImportMode): GoodRow[] {
  const good: GoodRow[] = [];
  for (const { row, cells } of rows) {
    const { id, input } = rowInput(cells, st.header);
    const r = tryPrepareContact(input, region);
    if (r.ok) {
      good.push({ row, id: mode === 'add' ? '' : id, contact: r.contact, key: contentKey(r.contact.fields) });
      continue;
    }
    st.plan.badRows++;
    st.plan.counts.skipped++;
    // in replace mode, a stored contact whose row is bad is kept, not deleted
    if (id && st.storedById.has(id)) st.kept.add(id);
    for (const e of r.errors) st.plan.errors.push({ row, field: columnTitle(e.field, st.header), value: e.value, reason: e.reason });
  }
  return good;
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
  } else {
    st.plan.counts.updated++;
    st.plan.ops.push({ op: 'update', id: g.id, contact: g.contact });
  }
}

/** A row without a known ID: a duplicate of an earlier row, identical to a stored contact, or new. */
function planContentRow(st: PlanState, g: GoodRow, storedByKey: Map<string, string>): void {
  const sameRow = st.fileKeys.get(g.key);
  if (sameRow !== undefined) {
    st.plan.counts.skipped++;
    st.plan.duplicates.push({ row: g.row, sameAsRow: sameRow, reason: `same contact as row ${sameRow}` });
    return;
  }
  st.fileKeys.set(g.key, g.row);
  const match = storedByKey.get(g.key);
  if (match !== undefined && !st.idRows.has(match)) {
    st.kept.add(match);
    st.plan.counts.unchanged++;
    st.plan.duplicates.push({ row: g.row, contactId: match, reason: 'identical to a stored contact' });
    return;
  }
  st.plan.counts.created++;
  st.plan.ops.push({ op: 'create', contact: g.contact });
}

/** Identity of a contact's content: every field as stored, groups in any order and case. */
export function contentKey(f: Required<ContactInput>): string {
  const groups = f.groups.map((g) => g.toLowerCase()).sort();
  return JSON.stringify([f.firstName, f.lastName, f.company, f.title, f.workNumber, f.mobileNumber, f.homeNumber, f.faxNumber, f.email, groups]);
}
