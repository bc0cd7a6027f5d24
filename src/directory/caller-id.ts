// The caller-ID rule, once for every front end: how a number a phone sends becomes a criterion.
// A full number (any format: national, +E.164, 00-prefixed) is matched exactly on digits after
// normalising with the account's region (criterion op 'eq'). A tail ("*4292500", or a phone that
// sends only the last digits) is matched on the end of stored numbers only when it has at least
// numbers.minTailDigits digits; a shorter one must equal the whole number (an extension), so "*1"
// never matches every number ending in 1.
import type { Criterion, NumberKindFilter } from '../store/store.ts';

/** A number to look up exactly (full number or extension). */
export function numberEquals(kind: NumberKindFilter, query: string): Criterion {
  return { number: kind, op: 'eq', value: query };
}

/** A number the caller knows only the end of; null when it holds no digit. */
export function numberTail(kind: NumberKindFilter, query: string, minTailDigits: number): Criterion | null {
  const d = query.replace(/\D/g, '');
  if (d === '') return null;
  return d.length >= minTailDigits ? { number: kind, op: 'suffix', value: d } : numberEquals(kind, query);
}
