// The Criterion AST evaluated on one in-memory entry. This is the single statement of what each
// criterion means for the directory (names folded, numbers by digits, groups by their folded key),
// kept identical to the store's SQL (src/store/sqlite/criterion-sql.ts) so either answers alike.
import type { NumberKind, PhoneNumber } from '../domain/contact-schemas.ts';
import { queryDigits } from '../domain/phone-number.ts';
import { fold, groupKey, words } from '../domain/text-fold.ts';
import type { Criterion, NameField, NumberKindFilter } from '../store/store.ts';
import { AFTER_SEP, type DirEntry, sortName, UPPER } from './directory-entry.ts';

export type Match = (e: DirEntry) => boolean;

const TRUE: Match = () => true;
const FALSE: Match = () => false;

const NAME_OF: Record<Exclude<NameField, 'sortName'>, (e: DirEntry) => string> = {
  firstName: (e) => e.first, lastName: (e) => e.last, company: (e) => e.company,
  // title and e-mail are folded when a filter asks (rarely: the model keeps their text only)
  title: (e) => fold(e.rawTitle), email: (e) => fold(e.rawEmail), displayName: (e) => e.display,
};

/** Which stored number kinds a number criterion looks at. 'work' includes internal extensions. */
export function kindMatches(kind: NumberKindFilter, n: PhoneNumber | NumberKind): boolean {
  const k = typeof n === 'string' ? n : n.kind;
  if (kind === 'any') return true;
  if (kind === 'work') return k === 'work' || k === 'extension';
  return k === kind;
}

/** The digits a number-equality query is compared with (the caller-ID rule): see queryDigits. */
export function equalityDigits(value: string, region: string): string {
  const q = queryDigits(value, region);
  return q.full ?? q.digits;
}

/** Group names compare by the one group key (folded), as the stores' groups.name_key. */
export { groupKey };

export function compileCriterion(c: Criterion, region: string): Match {
  if ('all' in c) return TRUE;
  if ('none' in c) return FALSE;
  if ('and' in c) {
    const parts = c.and.map((x) => compileCriterion(x, region));
    return (e) => {
      for (const p of parts) if (!p(e)) return false;
      return true;
    };
  }
  if ('or' in c) {
    const parts = c.or.map((x) => compileCriterion(x, region));
    return (e) => {
      for (const p of parts) if (p(e)) return true;
      return false;
    };
  }
  if ('not' in c) {
    const inner = compileCriterion(c.not, region);
    return (e) => !inner(e);
  }
  if ('name' in c) return nameMatch(c.name, c.op, fold(c.value ?? ''));
  if ('words' in c) return wordsMatch(c.words);
  if ('number' in c) return numberMatch(c.number, c.op, c.value ?? '', region);
  if ('group' in c) {
    const g = groupKey(c.group);
    return (e) => e.groups.some((x) => groupKey(x) === g);
  }
  if ('id' in c) {
    const id = c.id;
    return (e) => e.id === id;
  }
  const source = c.source;
  return (e) => e.source === source;
}

function nameMatch(field: NameField, op: string, v: string): Match {
  if (field === 'sortName') {
    // sortName tests are ranges of the sort key, exactly as the store runs them
    switch (op) {
      case 'eq': return (e) => e.sortKey >= v + '\u0001' && e.sortKey < v + AFTER_SEP;
      case 'prefix': return v === '' ? TRUE : (e) => e.sortKey >= v && e.sortKey < v + UPPER;
      case 'gte': return (e) => e.sortKey >= v;
      case 'lte': return (e) => e.sortKey < v + AFTER_SEP;
      case 'present': return TRUE;
      case 'suffix': return (e) => sortName(e).endsWith(v);
      default: return (e) => sortName(e).includes(v);
    }
  }
  const get = NAME_OF[field];
  switch (op) {
    case 'eq': return (e) => get(e) === v;
    case 'prefix': return v === '' ? TRUE : (e) => get(e).startsWith(v);
    case 'suffix': return (e) => get(e).endsWith(v);
    case 'contains': return (e) => get(e).includes(v);
    case 'gte': return (e) => get(e) >= v;
    case 'lte': return (e) => get(e) <= v;
    default: return (e) => get(e) !== '';
  }
}

/** Every word of the text starts some word of the first name, last name or company. */
function wordsMatch(text: string): Match {
  const ws = words(text);
  if (ws.length === 0) return TRUE;
  return (e) => {
    const own = [...words(e.firstName), ...words(e.lastName), ...words(e.rawCompany)];
    return ws.every((w) => e.first.startsWith(w) || e.last.startsWith(w) || e.company.startsWith(w) || own.some((x) => x.startsWith(w)));
  };
}

function numberMatch(kind: NumberKindFilter, op: string, value: string, region: string): Match {
  const any = (test: (digits: string) => boolean): Match => (e) => {
    for (let i = 0; i < e.numberCount; i++) if (kindMatches(kind, e.numberKind(i)) && test(e.numberDigits(i))) return true;
    return false;
  };
  if (op === 'present') return any(() => true);
  if (op === 'contains' || op === 'suffix') {
    const d = value.replace(/\D/g, '');
    if (d === '') return TRUE;
    return op === 'contains' ? any((n) => n.includes(d)) : any((n) => n.endsWith(d));
  }
  const digits = equalityDigits(value, region);
  if (digits === '') return FALSE;
  return any((n) => n === digits);
}
