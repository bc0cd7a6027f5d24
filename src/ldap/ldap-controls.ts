// Search controls we answer: paged results (RFC 2696), server-side sort (RFC 2891) and virtual
// list view. Any other control marked critical is refused with unavailableCriticalExtension, as
// RFC 4511 requires; non-critical ones are ignored. A control we know whose value is malformed or
// out of range (negative page size or counts) is a protocolError, never "no limit".
import type { ContactSort } from '../domain/contact-schemas.ts';
import { BerReader, enumerated, int, octets, tlv } from './protocol/ber.ts';
import type { RequestControl, ResponseControl } from './protocol/messages.ts';
import { parseVlvRequest, VLV_REQUEST, type VlvRequest } from './ldap-vlv.ts';

export const PAGED_RESULTS = '1.2.840.113556.1.4.319';
export const SORT_REQUEST = '1.2.840.113556.1.4.473';
export const SORT_RESPONSE = '1.2.840.113556.1.4.474';
export const SUPPORTED_CONTROLS = [PAGED_RESULTS, SORT_REQUEST, VLV_REQUEST];
/** Paging cookies are offsets; no directory is this large. */
const MAX_OFFSET = 2 ** 31 - 1;

export type ControlLike = RequestControl;

export interface SearchControls {
  paging: { size: number; offset: number } | null;
  sort: ContactSort | null;
  vlv: VlvRequest | null;
  /** A critical control we do not support: the search must fail. */
  unsupportedCritical: string | null;
  /** A control we support sent with a malformed or out-of-range value: protocolError. */
  invalid: string | null;
}

const SORT_ATTRS: Record<string, ContactSort> = {
  // sn sorts like the directory: last name, else company, else first name
  cn: 'firstName', displayname: 'firstName', givenname: 'firstName',
  sn: 'name', surname: 'name', o: 'company',
};

export function readControls(controls: ControlLike[]): SearchControls {
  const out: SearchControls = { paging: null, sort: null, vlv: null, unsupportedCritical: null, invalid: null };
  for (const c of controls) {
    if (c.type === PAGED_RESULTS) {
      out.paging = parsePaging(c.value);
      if (!out.paging) out.invalid ??= 'malformed paged results control';
    } else if (c.type === SORT_REQUEST) {
      const keys = parseSortKeys(c.value);
      if (!keys) {
        out.invalid ??= 'malformed sort control';
        continue;
      }
      const first = keys[0];
      const sort = first ? SORT_ATTRS[first.attributeType.toLowerCase()] : undefined;
      if (sort) out.sort = (first.reverseOrder ? `-${sort}` : sort) as ContactSort;
      else if (c.criticality) out.unsupportedCritical ??= `sorting by ${first?.attributeType ?? '?'} is not supported`;
    } else if (c.type === VLV_REQUEST) {
      out.vlv = parseVlvRequest(c.value);
      if (!out.vlv) out.invalid ??= 'malformed virtual list view control (counts must not be negative)';
    } else if (c.criticality) {
      out.unsupportedCritical ??= `control ${c.type} is not supported`;
    }
  }
  return out;
}

function parsePaging(value: Buffer | null): { size: number; offset: number } | null {
  if (!value) return null;
  try {
    const ber = new BerReader(value).sequence();
    const size = ber.int();
    const cookie = ber.octets();
    if (size < 0) return null;
    if (cookie.length === 0) return { size, offset: 0 };
    const text = cookie.toString('latin1');
    const offset = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    // a cookie we did not hand out
    if (!(offset >= 0 && offset <= MAX_OFFSET)) return null;
    return { size, offset };
  } catch {
    return null;
  }
}

function parseSortKeys(value: Buffer | null): { attributeType: string; reverseOrder: boolean }[] | null {
  if (!value) return null;
  try {
    const list = new BerReader(value).sequence();
    const keys: { attributeType: string; reverseOrder: boolean }[] = [];
    while (list.remaining > 0) {
      const key = list.sequence();
      const attributeType = key.string();
      if (key.peek() === 0x80) key.skip(); // orderingRule
      const reverseOrder = key.peek() === 0x81 ? key.bool(0x81) : false;
      keys.push({ attributeType, reverseOrder });
      if (keys.length > 16) return null;
    }
    return keys;
  } catch {
    return null;
  }
}

/** The paged-results cookie is the offset of the next page; empty when there is none. */
export const pagingCookie = (nextOffset: number | null): Buffer =>
  nextOffset === null ? Buffer.alloc(0) : Buffer.from(String(nextOffset), 'utf8');

export const pagingResponse = (cookie: Buffer): ResponseControl =>
  ({ type: PAGED_RESULTS, value: tlv(0x30, [int(0), octets(cookie)]) });

export const sortResponse = (result: number): ResponseControl =>
  ({ type: SORT_RESPONSE, value: tlv(0x30, [enumerated(result)]) });
