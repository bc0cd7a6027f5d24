// LDAP filter -> store Criterion. The translation is exact for the attributes we serve, so the
// read model (or the store) answers with indexed lookups and nothing is re-checked entry by entry.
//  - Name attributes (cn, sn, givenName, displayName, o, company, title, mail) match case- and
//    accent-insensitively (both sides folded).
//  - Number attributes match by number: equality normalises the query with the account's region;
//    "*digits" (final substring) is a tail match when it has at least minTailDigits digits, and an
//    exact match otherwise, so "*1" never matches every number ending in 1.
//  - Active Directory names: (objectClass=user), (objectClass=contact) and (objectCategory=person)
//    match every entry (in AD, inetOrgPerson is a kind of user); ipPhone and its Polycom spelling
//    "extension" are internal extensions; otherTelephone matches any of the entry's numbers.
//  - Standard attributes we do not fill (description, l, departmentNumber...) are FALSE, so
//    (!(l=Paris)) matches everything, as in slapd.
//  - Any other attribute is Undefined (RFC 4511 4.5.1.7): an AND containing it is never TRUE, an
//    OR is TRUE only through its other parts, and a NOT of it is Undefined too. The filter is
//    translated with NOTs pushed down to the leaves (De Morgan), which keeps that exact.
import { numberEquals, numberTail } from '../directory/caller-id.ts';
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

// Null-prototype tables: a filter on "constructor" or "__proto__" must not find anything in them.
const NAME_ATTRS: Record<string, NameField> = Object.assign(Object.create(null) as Record<string, NameField>, {
  cn: 'displayName', displayname: 'displayName', commonname: 'displayName',
  // sn is the sort name (last name, else first name, else company), as entries show it
  sn: 'sortName', surname: 'sortName',
  givenname: 'firstName', gn: 'firstName',
  o: 'company', organizationname: 'company', company: 'company',
  title: 'title',
  mail: 'email', email: 'email',
});

const NUMBER_ATTRS: Record<string, NumberKindFilter> = Object.assign(Object.create(null) as Record<string, NumberKindFilter>, {
  telephonenumber: 'work',
  mobile: 'mobile', mobiletelephonenumber: 'mobile',
  homephone: 'home', hometelephonenumber: 'home',
  facsimiletelephonenumber: 'fax', fax: 'fax',
  ipphone: 'extension', extension: 'extension', pager: 'any', othertelephone: 'any',
});

// In AD, inetOrgPerson derives from user; AD-configured phones ask for users or contacts.
const PERSON_CLASSES = new Set(['top', 'person', 'organizationalperson', 'inetorgperson', 'user', 'contact']);
/** Attributes entries can have that a filter may name besides names and numbers. */
const OTHER_SERVED = new Set(['objectclass', 'objectcategory', 'uid', 'entryuuid', 'ou']);
/** Standard (core, cosine, inetOrgPerson) attributes our entries never carry: FALSE, not Undefined. */
const STANDARD_UNFILLED = new Set([
  'description', 'l', 'localityname', 'st', 'street', 'postalcode', 'postaladdress', 'postofficebox',
  'physicaldeliveryofficename', 'departmentnumber', 'employeenumber', 'employeetype', 'initials',
  'manager', 'roomnumber', 'secretary', 'seealso', 'businesscategory', 'carlicense', 'labeleduri',
  'preferredlanguage', 'homepostaladdress', 'jpegphoto', 'photo', 'usercertificate', 'userpassword',
  'telexnumber', 'internationalisdnnumber', 'registeredaddress', 'destinationindicator',
  'preferreddeliverymethod', 'x121address', 'teletexterminalidentifier', 'dc', 'c', 'countryname',
  'createtimestamp', 'modifytimestamp', 'entrydn', 'structuralobjectclass',
]);

const ITEM_TYPES = new Set(['PresenceFilter', 'EqualityFilter', 'ApproximateFilter', 'SubstringFilter', 'GreaterThanEqualsFilter', 'LessThanEqualsFilter']);
const ALL: Criterion = { all: true };
const NONE: Criterion = { none: true };

/** Every attribute a filter can test with a TRUE or FALSE answer; the rest are Undefined. */
export function isKnownAttribute(name: string): boolean {
  const a = name.toLowerCase();
  return a in NAME_ATTRS || a in NUMBER_ATTRS || OTHER_SERVED.has(a) || STANDARD_UNFILLED.has(a);
}

/**
 * The entries for which the filter is TRUE. With negated, the entries for which it is FALSE
 * (what a NOT around it selects): both leave out the entries where it is Undefined.
 */
export function translateFilter(f: LdapFilter, minTailDigits: number, negated = false): Criterion {
  const t = (x: LdapFilter) => translateFilter(x, minTailDigits, negated);
  switch (f.type) {
    // NOT (a AND b) = NOT a OR NOT b, and the other way round
    case 'AndFilter': return negated ? { or: (f.clauses ?? []).map(t) } : { and: (f.clauses ?? []).map(t) };
    case 'OrFilter': return negated ? { and: (f.clauses ?? []).map(t) } : { or: (f.clauses ?? []).map(t) };
    case 'NotFilter': return f.filter ? translateFilter(f.filter, minTailDigits, !negated) : NONE;
    default: break;
  }
  // Undefined (neither TRUE nor FALSE): unknown attributes, extensible matches, unknown filter types
  if (!ITEM_TYPES.has(f.type) || !isKnownAttribute(f.attribute ?? '')) return NONE;
  const test = itemCriterion(f, minTailDigits);
  if (!negated) return test;
  return 'all' in test ? NONE : 'none' in test ? ALL : { not: test };
}

function itemCriterion(f: LdapFilter, minTailDigits: number): Criterion {
  switch (f.type) {
    case 'PresenceFilter': return presence(attr(f));
    case 'EqualityFilter': return equality(attr(f), text(f.value));
    case 'ApproximateFilter': return approx(attr(f), text(f.value));
    case 'SubstringFilter': return substring(attr(f), decode(f.initial ?? ''), (f.any ?? []).map(decode), decode(f.final ?? ''), minTailDigits);
    case 'GreaterThanEqualsFilter': return ordering(attr(f), 'gte', text(f.value));
    case 'LessThanEqualsFilter': return ordering(attr(f), 'lte', text(f.value));
    default: return NONE;
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
  if (a === 'objectclass' || a === 'objectcategory' || a === 'uid' || a === 'entryuuid' || a === 'cn' || a === 'sn' || a === 'displayname') return ALL;
  if (NAME_ATTRS[a]) return { name: NAME_ATTRS[a], op: 'present' };
  if (NUMBER_ATTRS[a]) return { number: NUMBER_ATTRS[a], op: 'present' };
  return NONE;
}

function equality(a: string, v: string): Criterion {
  if (a === 'objectclass') return PERSON_CLASSES.has(v.toLowerCase()) ? ALL : NONE;
  // AD sends the category as a DN: CN=Person,CN=Schema,CN=Configuration,DC=...
  if (a === 'objectcategory') return /^(cn=)?person(,|$)/i.test(v.trim()) ? ALL : NONE;
  if (a === 'uid' || a === 'entryuuid') return { id: v };
  if (a === 'ou') return { group: v };
  if (NAME_ATTRS[a]) return onName(a, (name) => ({ name, op: 'eq', value: v }));
  if (NUMBER_ATTRS[a]) return numberEquals(NUMBER_ATTRS[a], v);
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
  if (!initial && any.length === 0 && final) return numberTail(kind, final, minTailDigits) ?? NONE;
  // "469*", "*429*": digits the user typed, anywhere in the number
  const all = [initial, ...any, final].map(digits).filter((d) => d !== '');
  // letters typed into a number search ("(telephoneNumber=jose*)" from a combined name/number
  // filter) match no number
  if (all.length === 0) return [initial, ...any, final].some((s) => s !== '') ? NONE : { number: kind, op: 'present' };
  return all.length === 1 ? { number: kind, op: 'contains', value: all[0] } : { and: all.map((d) => ({ number: kind, op: 'contains' as const, value: d })) };
}
