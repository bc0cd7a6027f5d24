// The keyset cursor of a contact list page, the same on every engine (so a cursor keeps its shape
// whichever store answered): the sort, the values of the sort's key columns and the engine's row
// order number of the page's last row, as base64url JSON. A cursor made for another sort, or one
// that does not decode, is refused with a validation error naming the field.
import type { ContactSort } from '../domain/contact-schemas.ts';
import { ValidationError } from '../errors.ts';

export function encodeAfter(sort: ContactSort, values: unknown[]): string {
  return Buffer.from(JSON.stringify([sort, ...values])).toString('base64url');
}

/** The key values and the row number a cursor holds; keyColumns: how many key columns the sort has. */
export function decodeAfter(sort: ContactSort, after: string, keyColumns: number): unknown[] {
  let v: unknown;
  try { v = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')); } catch { v = null; }
  const n = keyColumns + 1;
  if (!Array.isArray(v) || v.length !== n + 1 || v[0] !== sort || !v.slice(1, n).every((x) => typeof x === 'string') || !Number.isInteger(v[n])) {
    throw new ValidationError('after is not a cursor this list returned for this sort (use the "next" of the previous page)', [{ field: 'after', value: after, reason: 'is not a valid cursor for this sort' }]);
  }
  return v.slice(1);
}
