// LDAP filter -> store Criterion. The translation is exact for the attributes we serve, so the
// store answers with indexed queries and nothing is re-checked entry by entry.
//  - Name attributes (cn, sn, givenName, displayName, o, title, mail) match case- and
//    accent-insensitively (the store folds both sides).
//  - Number attributes match by number: equality normalises the query with the account's region;
//    "*digits" (final substring) is a tail match when it has at least minTailDigits digits, and an
//    exact match otherwise, so "*1" never matches every number ending in 1.
//  - Attributes we do not have match nothing (and NOT of them matches everything), as in slapd.
import type { Criterion, NameField, NumberKindFilter } from '../store/store.ts';

/** The parts of an ldapjs filter object we read (ldapjs ships no types for them). */
export interface LdapFilter {
  type: string;
  attribute?: string;
  value?: unknown;
  initial?: string;
  any?: string[];
  final?: string;
  clauses?: LdapFilter[];
  filter?: LdapFilter;
}

const NAME_ATTRS: Record<string, NameField> = {
  cn: 'displayName', displayname: 'displayName', commonname: 'displayName',
  // sn is the sort name (last name, else first name, else company), as entries show it
  sn: 'sortName', surname: 'sortName',
  givenname: 'firstName', gn: 'firstName',
  o: 'company', organizationname: 'company', company: 'company',
  title: 'title',
  mail: 'email', email: 'email',
};

const NUMBER_ATTRS: Record<string, NumberKindFilter> = {
  telephonenumber: 'work',
  mobile: 'mobile', mobiletelephonenumber: 'mobile',
  homephone: 'home', hometelephonenumber: 'home',
  facsimiletelephonenumber: 'fax', fax: 'fax',
  ipphone: 'extension', pager: 'any', othertelephone: 'any',
};

const PERSON_CLASSES = new Set(['top', 'person', 'organizationalperson', 'inetorgperson']);
const ALL: Criterion = { all: true };
const NONE: Criterion = { none: true };

export function translateFilter(f: LdapFilter, minTailDigits: number): Criterion {
  const t = (x: LdapFilter) => translateFilter(x, minTailDigits);
  switch (f.type) {
    case 'AndFilter': return { and: (f.clauses ?? []).map(t) };
    case 'OrFilter': return { or: (f.clauses ?? []).map(t) };
    case 'NotFilter': return f.filter ? { not: t(f.filter) } : NONE;
    case 'PresenceFilter': return presence(attr(f));
    case 'EqualityFilter': return equality(attr(f), text(f.value));
    case 'ApproximateFilter': return approx(attr(f), text(f.value));
    case 'SubstringFilter': return substring(attr(f), decode(f.initial ?? ''), (f.any ?? []).map(decode), decode(f.final ?? ''), minTailDigits);
    case 'GreaterThanEqualsFilter': return ordering(attr(f), 'gte', text(f.value));
    case 'LessThanEqualsFilter': return ordering(attr(f), 'lte', text(f.value));
    default: return NONE; // extensible matches and anything newer
  }
}

function attr(f: LdapFilter): string {
  return (f.attribute ?? '').toLowerCase();
}

function text(v: unknown): string {
  return decode(Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''));
}

/** ldapjs hands non-ASCII filter values over hex-escaped ("Jos\c3\a9"): turn them back into text. */
export function decode(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === '\\' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A test on a name attribute. */
function onName(a: string, test: (field: NameField) => Criterion): Criterion {
  return test(NAME_ATTRS[a]);
}

function presence(a: string): Criterion {
  if (a === 'objectclass' || a === 'uid' || a === 'cn' || a === 'sn' || a === 'displayname') return ALL;
  if (NAME_ATTRS[a]) return { name: NAME_ATTRS[a], op: 'present' };
  if (NUMBER_ATTRS[a]) return { number: NUMBER_ATTRS[a], op: 'present' };
  return NONE;
}

function equality(a: string, v: string): Criterion {
  if (a === 'objectclass') return PERSON_CLASSES.has(v.toLowerCase()) ? ALL : NONE;
  if (a === 'uid' || a === 'entryuuid') return { id: v };
  if (a === 'ou') return { group: v };
  if (NAME_ATTRS[a]) return onName(a, (name) => ({ name, op: 'eq', value: v }));
  if (NUMBER_ATTRS[a]) return { number: NUMBER_ATTRS[a], op: 'eq', value: v };
  return NONE;
}

function approx(a: string, v: string): Criterion {
  if (NAME_ATTRS[a]) return onName(a, (name) => ({ name, op: 'contains', value: v }));
  return equality(a, v);
}

function ordering(a: string, op: 'gte' | 'lte', v: string): Criterion {
  if (NAME_ATTRS[a]) return onName(a, (name) => ({ name, op, value: v }));
  return NONE;
}

function substring(a: string, initial: string, any: string[], final: string, minTailDigits: number): Criterion {
  if (NUMBER_ATTRS[a]) return numberSubstring(NUMBER_ATTRS[a], initial, any, final, minTailDigits);
  if (!NAME_ATTRS[a]) return a === 'objectclass' ? ALL : NONE;
  return onName(a, (field) => {
    const parts: Criterion[] = [];
    if (initial) parts.push({ name: field, op: 'prefix', value: initial });
    for (const s of any) if (s) parts.push({ name: field, op: 'contains', value: s });
    if (final) parts.push({ name: field, op: 'suffix', value: final });
    return parts.length === 0 ? { name: field, op: 'present' } : parts.length === 1 ? parts[0] : { and: parts };
  });
}

function numberSubstring(kind: NumberKindFilter, initial: string, any: string[], final: string, minTailDigits: number): Criterion {
  const digits = (s: string) => s.replace(/\D/g, '');
  // "*4292500": a caller-ID tail lookup
  if (!initial && any.length === 0 && final) {
    const d = digits(final);
    if (d === '') return NONE;
    return d.length >= minTailDigits ? { number: kind, op: 'suffix', value: d } : { number: kind, op: 'eq', value: final };
  }
  // "469*", "*429*": digits the user typed, anywhere in the number
  const all = [initial, ...any, final].map(digits).filter((d) => d !== '');
  // letters typed into a number search ("(telephoneNumber=jose*)" from a combined name/number
  // filter) match no number
  if (all.length === 0) return [initial, ...any, final].some((s) => s !== '') ? NONE : { number: kind, op: 'present' };
  return all.length === 1 ? { number: kind, op: 'contains', value: all[0] } : { and: all.map((d) => ({ number: kind, op: 'contains' as const, value: d })) };
}
