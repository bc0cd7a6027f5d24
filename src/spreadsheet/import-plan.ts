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

export function planImport(rows: SheetRow[], header: HeaderMap, stored: Contact[], region: string, mode: ImportMode): ImportPlan {
  const plan: ImportPlan = { counts: { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 }, errors: [], badRows: 0, duplicates: [], ops: [] };
  const storedById = new Map(stored.map((c) => [c.id, c]));
  /** Stored contacts the file keeps (matched by ID or content) or must not lose (bad rows). */
  const kept = new Set<string>();
  const good: GoodRow[] = [];

  for (const { row, cells } of rows) {
    const { id, input } = rowInput(cells, header);
    const r = tryPrepareContact(input, region);
    if (r.ok) {
      good.push({ row, id: mode === 'add' ? '' : id, contact: r.contact, key: contentKey(r.contact.fields) });
      continue;
    }
    plan.badRows++;
    plan.counts.skipped++;
    if (id && storedById.has(id)) kept.add(id);
    for (const e of r.errors) plan.errors.push({ row, field: columnTitle(e.field, header), value: e.value, reason: e.reason });
  }

  const fileKeys = new Map<string, number>();
  const idRows = new Map<string, number>();
  // Rows naming a stored contact first, so that content matching below never picks a contact
  // the same file is changing.
  for (const g of good) {
    const current = g.id ? storedById.get(g.id) : undefined;
    if (!current) continue;
    const firstRow = idRows.get(g.id);
    if (firstRow !== undefined) {
      plan.badRows++;
      plan.counts.skipped++;
      plan.errors.push({ row: g.row, field: header.titles.id, value: g.id, reason: `the same ID is already on row ${firstRow}` });
      continue;
    }
    idRows.set(g.id, g.row);
    kept.add(g.id);
    if (!fileKeys.has(g.key)) fileKeys.set(g.key, g.row);
    if (contentKey(contactFields(current)) === g.key) {
      plan.counts.unchanged++;
    } else {
      plan.counts.updated++;
      plan.ops.push({ op: 'update', id: g.id, contact: g.contact });
    }
  }

  const storedByKey = new Map<string, string>();
  for (const c of stored) {
    const key = contentKey(contactFields(c));
    if (!storedByKey.has(key)) storedByKey.set(key, c.id);
  }
  for (const g of good) {
    if (g.id && storedById.has(g.id)) continue;
    const sameRow = fileKeys.get(g.key);
    if (sameRow !== undefined) {
      plan.counts.skipped++;
      plan.duplicates.push({ row: g.row, sameAsRow: sameRow, reason: `same contact as row ${sameRow}` });
      continue;
    }
    fileKeys.set(g.key, g.row);
    const match = storedByKey.get(g.key);
    if (match !== undefined && !idRows.has(match)) {
      kept.add(match);
      plan.counts.unchanged++;
      plan.duplicates.push({ row: g.row, contactId: match, reason: 'identical to a stored contact' });
      continue;
    }
    plan.counts.created++;
    plan.ops.push({ op: 'create', contact: g.contact });
  }

  if (mode === 'replace') {
    for (const c of stored) {
      if (kept.has(c.id)) continue;
      plan.counts.deleted++;
      plan.ops.push({ op: 'delete', id: c.id });
    }
  }
  return plan;
}

/** Identity of a contact's content: every field as stored, groups in any order and case. */
export function contentKey(f: Required<ContactInput>): string {
  const groups = f.groups.map((g) => g.toLowerCase()).sort();
  return JSON.stringify([f.firstName, f.lastName, f.company, f.title, f.workNumber, f.mobileNumber, f.homeNumber, f.faxNumber, f.email, groups]);
}
