// CARDDAV:filter (RFC 6352 10.5) -> the store's Criterion, so addressbook-query runs as indexed
// SQL like every other search. Supported: prop-filter on FN, N, ORG, TEL and EMAIL with
// is-not-defined or text-match (equals, contains, starts-with, ends-with; negate-condition),
// test="anyof"/"allof" at both levels. Text always matches case- and accent-insensitively (the
// store's folded forms), whatever collation is named. TEL compares digits; "equals" also
// matches other spellings of the same number. Anything else: CARDDAV:supported-filter.
import { DavConditionError } from '../errors.ts';
import type { Criterion, NameField } from '../store/store.ts';
import { childrenOf, NS, type XmlElement } from './dav-xml.ts';

const NAME_PROPS: Record<string, NameField[]> = {
  FN: ['displayName'], N: ['lastName', 'firstName'], ORG: ['company'], EMAIL: ['email'],
};
const NAME_OPS = { equals: 'eq', contains: 'contains', 'starts-with': 'prefix', 'ends-with': 'suffix' } as const;
// starts-with on digits has no index form; contains is a superset, narrowed by the caller's check.
const NUMBER_OPS = { equals: 'eq', contains: 'contains', 'starts-with': 'contains', 'ends-with': 'suffix' } as const;

const unsupported = (what: string) => new DavConditionError(403, '{urn:ietf:params:xml:ns:carddav}supported-filter', `Unsupported filter: ${what}`);

export interface QueryFilter {
  where: Criterion;
  /** TEL starts-with prefixes to check on the results (digits only). */
  telPrefixes: { digits: string; negate: boolean }[];
  /** The test of the filter element: how telPrefixes combine with each other. */
  anyof: boolean;
}

export function filterToCriterion(filter: XmlElement | undefined): QueryFilter {
  if (!filter) return { where: { all: true }, telPrefixes: [], anyof: false };
  const anyof = (filter.attrs.test ?? 'anyof') === 'anyof';
  const telPrefixes: QueryFilter['telPrefixes'] = [];
  const parts = childrenOf(filter, NS.card, 'prop-filter').map((pf) => propFilter(pf, telPrefixes));
  if (parts.length === 0) return { where: { all: true }, telPrefixes, anyof };
  if (telPrefixes.length > 0 && parts.length > 1) throw unsupported('TEL starts-with combined with other filters');
  return { where: anyof ? { or: parts } : { and: parts }, telPrefixes, anyof };
}

function propFilter(pf: XmlElement, telPrefixes: QueryFilter['telPrefixes']): Criterion {
  const prop = (pf.attrs.name ?? '').toUpperCase();
  const anyof = (pf.attrs.test ?? 'anyof') === 'anyof';
  if (prop !== 'TEL' && !NAME_PROPS[prop]) throw unsupported(`prop-filter on ${prop || '(no name)'}`);
  if (pf.children.some((c) => c.ns === NS.card && c.name === 'param-filter')) throw unsupported('param-filter');
  const present: Criterion = prop === 'TEL' ? { number: 'any', op: 'present' } : { or: NAME_PROPS[prop].map((name) => ({ name, op: 'present' as const })) };
  if (pf.children.some((c) => c.ns === NS.card && c.name === 'is-not-defined')) return { not: present };
  const matches = childrenOf(pf, NS.card, 'text-match');
  if (matches.length === 0) return present;
  const crits = matches.map((tm): Criterion => {
    const type = (tm.attrs['match-type'] ?? 'contains') as keyof typeof NAME_OPS;
    if (!(type in NAME_OPS)) throw unsupported(`match-type ${type}`);
    const negate = tm.attrs['negate-condition'] === 'yes';
    const value = tm.text.trim();
    let c: Criterion;
    if (prop === 'TEL') {
      if (type === 'starts-with') {
        if (matches.length > 1) throw unsupported('several TEL starts-with');
        telPrefixes.push({ digits: value.replace(/\D/g, ''), negate });
        return { all: true };
      }
      c = { number: 'any', op: NUMBER_OPS[type], value };
    } else {
      c = { or: NAME_PROPS[prop].map((name) => ({ name, op: NAME_OPS[type], value })) };
    }
    return negate ? { not: c } : c;
  });
  return crits.length === 1 ? crits[0] : anyof ? { or: crits } : { and: crits };
}
