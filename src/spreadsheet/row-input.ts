// One spreadsheet row -> the contact input the API would receive (plus the ID column), using the
// header map. Groups are one cell separated by ";" (groupNameSchema forbids ";" in a name).
// Address-book layouts (see address-book-formats.ts) add fallback columns, label/value pairs
// and " ::: "-separated multiple values; values that fit no field are listed as dropped.
import type { ContactInput } from '../domain/contact-schemas.ts';
import { googleLabelField } from './address-book-formats.ts';
import type { ColumnKey, HeaderMap } from './header-aliases.ts';

export interface DroppedValue {
  field: string;
  value: string;
  reason: string;
}

export interface RowInput {
  id: string;
  input: ContactInput;
  /** Values the row holds that the contact has no field for (address-book layouts only). */
  dropped: DroppedValue[];
}

/** Where a number without a usable label goes (a fax only ever goes to the fax field). */
const VOICE_SLOTS = ['workNumber', 'mobileNumber', 'homeNumber'] as const;
const MULTI = /\s*:::\s*/;
/** Google's system labels, not groups anyone made. */
const SYSTEM_LABELS = new Set(['* mycontacts', '* starred', '* other contacts']);

export function rowInput(cells: string[], header: HeaderMap): RowInput {
  const input: Record<string, unknown> = {};
  const dropped: DroppedValue[] = [];
  let id = '';
  header.columns.forEach((key, i) => {
    if (key === null) return;
    const value = (cells[i] ?? '').trim();
    if (key === 'id') id = value;
    else if (key === 'groups') input.groups = header.multiValue ? googleLabels(value) : splitGroups(value);
    else if (header.multiValue && MULTI.test(value)) {
      const [first, ...rest] = value.split(MULTI);
      input[key] = first;
      for (const v of rest) if (v) dropped.push({ field: header.titles[key] ?? key, value: v, reason: 'only the first value of the cell is imported' });
    } else input[key] = value;
  });
  if (header.fallbacks) {
    for (const [key, cols] of Object.entries(header.fallbacks) as [ColumnKey, number[]][]) {
      for (const i of cols) {
        const value = (cells[i] ?? '').trim();
        if (value === '') continue;
        if (!input[key]) input[key] = value;
        else if (input[key] !== value) dropped.push({ field: key, value, reason: `the contact already has a ${key}: not imported` });
      }
    }
  }
  for (const pair of header.labelled ?? []) {
    const values = (cells[pair.value] ?? '').split(MULTI).map((v) => v.trim()).filter(Boolean);
    const wanted = googleLabelField(pair.label >= 0 ? cells[pair.label] ?? '' : '');
    for (const value of values) {
      const slot = (wanted === 'faxNumber' ? [wanted] : [wanted, ...VOICE_SLOTS]).find((s) => s && !input[s]);
      if (slot) input[slot] = value;
      else dropped.push({ field: 'phone', value, reason: 'more numbers than the contact has fields (work, mobile, home, fax): not imported' });
    }
  }
  return { id, input: input as ContactInput, dropped };
}

export function splitGroups(cell: string): string[] {
  return cell.split(';').map((g) => g.trim()).filter((g) => g !== '');
}

function googleLabels(cell: string): string[] {
  return cell.split(MULTI).map((g) => g.trim()).filter((g) => g !== '' && !SYSTEM_LABELS.has(g.toLowerCase())).map((g) => g.replace(/^\*\s*/, ''));
}

export function joinGroups(groups: string[]): string {
  return groups.join('; ');
}

/** The column title an error about `field` (e.g. "groups.2", "workNumber") should name. */
export function columnTitle(field: string | undefined, header: HeaderMap): string | undefined {
  if (!field) return undefined;
  const key = field.split('.')[0] as ColumnKey;
  return header.titles[key] ?? field;
}
