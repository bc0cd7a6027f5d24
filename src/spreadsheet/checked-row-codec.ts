// Checked rows travel from the check thread to the import thread as one flat array of strings
// and numbers per slice. Structured clone of the row objects (row, result, contact, fields,
// numbers, search forms: about ten objects a row) cost 8 µs a row to write and 10-15 µs to read,
// on the two threads that share the cores during an import; a flat array of the same values
// costs 2-3 µs each way. Only the common row is packed (accepted, nothing cleaned, dropped or
// doubtful); any other row travels as its object, and the order of rows is kept.
import type { ContactFields, PhoneNumber } from '../domain/contact-schemas.ts';
import type { PreparedContact } from '../domain/prepare-contact.ts';
import type { SearchForms } from '../domain/search-forms.ts';
import type { CheckedRow } from './import-plan.ts';

/** A slice of checked rows as it crosses threads. */
export interface PackedRows {
  /** Per row: PACKED and its values, or AS_OBJECT (the next row of `objects`). */
  flat: (string | number | null)[];
  objects: CheckedRow[];
}

const PACKED = 0;
const AS_OBJECT = 1;

type TextField = Exclude<keyof ContactFields, 'groups'>;
const TEXT_FIELDS: readonly TextField[] = ['firstName', 'lastName', 'company', 'title', 'workNumber', 'mobileNumber', 'homeNumber', 'faxNumber', 'email'];
type SearchText = Exclude<keyof SearchForms, 'words'>;
const SEARCH_TEXTS: readonly SearchText[] = ['first', 'last', 'company', 'title', 'email', 'display', 'sortKey'];

function isPlain(r: CheckedRow): boolean {
  return r.result !== null && r.result.ok && r.result.warnings.length === 0 && r.dropped.length === 0 && r.input === undefined;
}

export function packRows(rows: CheckedRow[]): PackedRows {
  const flat: PackedRows['flat'] = [];
  const objects: CheckedRow[] = [];
  for (const r of rows) {
    if (!isPlain(r)) {
      flat.push(AS_OBJECT);
      objects.push(r);
      continue;
    }
    const c = (r.result as { contact: PreparedContact }).contact;
    flat.push(PACKED, r.row, r.id, r.rawKey, r.preparedKey ?? null);
    for (const k of TEXT_FIELDS) flat.push(c.fields[k]);
    flat.push(c.fields.groups.length, ...c.fields.groups);
    for (const k of SEARCH_TEXTS) flat.push(c.search[k]);
    flat.push(c.search.words.length, ...c.search.words);
    flat.push(c.numbers.length);
    for (const n of c.numbers) flat.push(n.kind, n.raw, n.e164, n.digits);
    flat.push(c.fieldsJson ?? null);
  }
  return { flat, objects };
}

export function unpackRows({ flat, objects }: PackedRows): CheckedRow[] {
  const rows: CheckedRow[] = [];
  let i = 0;
  let o = 0;
  const next = () => flat[i++];
  const list = () => {
    const n = next() as number;
    const out = flat.slice(i, i + n) as string[];
    i += n;
    return out;
  };
  while (i < flat.length) {
    if (next() === AS_OBJECT) {
      rows.push(objects[o++]);
      continue;
    }
    const row = next() as number;
    const id = next() as string;
    const rawKey = next() as string;
    const preparedKey = next() as string | null;
    // object literals (evaluated left to right, in TEXT_FIELDS and SEARCH_TEXTS order): every row
    // gets the same shape as a contact prepared in this thread, which keeps the writer's property
    // reads fast; objects filled key by key from a list did not
    const fields: ContactFields = {
      firstName: next() as string, lastName: next() as string, company: next() as string, title: next() as string,
      workNumber: next() as string, mobileNumber: next() as string, homeNumber: next() as string,
      faxNumber: next() as string, email: next() as string, groups: list(),
    };
    const search: SearchForms = {
      first: next() as string, last: next() as string, company: next() as string, title: next() as string,
      email: next() as string, display: next() as string, sortKey: next() as string, words: list(),
    };
    const numbers: PhoneNumber[] = [];
    for (let n = next() as number; n > 0; n--) {
      numbers.push({ kind: next() as PhoneNumber['kind'], raw: next() as string, e164: next() as string | null, digits: next() as string });
    }
    const fieldsJson = next() as string | null;
    const contact: PreparedContact = fieldsJson === null ? { fields, numbers, search } : { fields, numbers, search, fieldsJson };
    const checked: CheckedRow = { row, id, dropped: [], rawKey, result: { ok: true, contact, warnings: [] } };
    if (preparedKey !== null) checked.preparedKey = preparedKey;
    rows.push(checked);
  }
  return rows;
}
