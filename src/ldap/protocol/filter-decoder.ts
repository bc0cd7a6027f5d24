// Search filters (RFC 4511 4.5.1.7) from BER into the LdapFilter shape ldap-filter.ts translates.
// Nesting depth and node count are capped while decoding (never by recursion into hostile
// depth): a filter beyond them is answered adminLimitExceeded, not handed to the store.
import type { LdapFilter } from '../ldap-filter.ts';
import { BerError, type BerReader } from './ber.ts';

/** No phone filter comes near these (the largest captured has 9 nodes, depth 3). */
export const MAX_FILTER_DEPTH = 32;
export const MAX_FILTER_NODES = 512;

/** The filter is well-formed but larger than the server serves. */
export class FilterLimitError extends Error {}

const TYPES: Record<number, string> = {
  0xa3: 'EqualityFilter', 0xa5: 'GreaterThanEqualsFilter', 0xa6: 'LessThanEqualsFilter', 0xa8: 'ApproximateFilter',
};

export function decodeFilter(ber: BerReader): LdapFilter {
  const budget = { nodes: 0 };
  return node(ber, 1, budget);
}

function node(ber: BerReader, depth: number, budget: { nodes: number }): LdapFilter {
  if (depth > MAX_FILTER_DEPTH) throw new FilterLimitError(`filter nested deeper than ${MAX_FILTER_DEPTH} levels`);
  if (++budget.nodes > MAX_FILTER_NODES) throw new FilterLimitError(`filter of more than ${MAX_FILTER_NODES} parts`);
  const { tag, content } = ber.any();
  switch (tag) {
    case 0xa0:
    case 0xa1: {
      const clauses: LdapFilter[] = [];
      while (content.remaining > 0) clauses.push(node(content, depth + 1, budget));
      return { type: tag === 0xa0 ? 'AndFilter' : 'OrFilter', clauses };
    }
    case 0xa2: {
      const filter = node(content, depth + 1, budget);
      if (content.remaining > 0) throw new BerError('NOT holds one filter');
      return { type: 'NotFilter', filter };
    }
    case 0xa3: case 0xa5: case 0xa6: case 0xa8: {
      const attribute = content.string();
      const value = escapeValue(content.octets());
      return { type: TYPES[tag], attribute, value };
    }
    case 0xa4: {
      const attribute = content.string();
      const parts = content.sequence();
      const f: LdapFilter = { type: 'SubstringFilter', attribute, any: [] };
      if (parts.remaining === 0) throw new BerError('substring filter without parts');
      while (parts.remaining > 0) {
        const part = parts.any();
        const value = escapeValue(part.content.rest());
        if (part.tag === 0x80 && f.initial === undefined && f.any!.length === 0 && f.final === undefined) f.initial = value;
        else if (part.tag === 0x81 && f.final === undefined) f.any!.push(value);
        else if (part.tag === 0x82 && f.final === undefined) f.final = value;
        else throw new BerError('substring parts out of order');
        if (++budget.nodes > MAX_FILTER_NODES) throw new FilterLimitError(`filter of more than ${MAX_FILTER_NODES} parts`);
      }
      return f;
    }
    case 0x87:
      return { type: 'PresenceFilter', attribute: content.rest().toString('utf8') };
    case 0xa9:
      // extensibleMatch: no attribute we serve supports matching rules; it matches nothing
      content.rest();
      return { type: 'ExtensibleFilter' };
    default:
      throw new BerError(`unknown filter tag 0x${tag.toString(16)}`);
  }
}

/**
 * Values are handed over as the text that was sent. translateFilter also reads "\xx" escapes in
 * it as bytes, as it did behind ldapjs: the ldapjs client (and so possibly phones built on it)
 * sends RFC 4515 escapes as literal text ("Jos\c3\a9" for José) instead of the bytes.
 */
function escapeValue(b: Buffer): string {
  return b.toString('utf8');
}
