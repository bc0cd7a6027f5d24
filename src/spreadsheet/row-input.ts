// One spreadsheet row -> the contact input the API would receive (plus the ID column), using the
// header map. Groups are one cell separated by ";" (groupNameSchema forbids ";" in a name).
import type { ContactInput } from '../domain/contact-schemas.ts';
import type { ColumnKey, HeaderMap } from './header-aliases.ts';

export interface RowInput {
  id: string;
  input: ContactInput;
}

export function rowInput(cells: string[], header: HeaderMap): RowInput {
  const input: Record<string, unknown> = {};
  let id = '';
  header.columns.forEach((key, i) => {
    if (key === null) return;
    const value = (cells[i] ?? '').trim();
    if (key === 'id') id = value;
    else if (key === 'groups') input.groups = splitGroups(value);
    else input[key] = value;
  });
  return { id, input: input as ContactInput };
}

export function splitGroups(cell: string): string[] {
  return cell.split(';').map((g) => g.trim()).filter((g) => g !== '');
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
