// Search controls we answer: paged results (RFC 2696) and server-side sort (RFC 2891).
// Any other control marked critical is refused with unavailableCriticalExtension, as RFC 4511
// requires; non-critical ones are ignored.
import type { ContactSort } from '../domain/contact-schemas.ts';
import { parseVlvRequest, VLV_REQUEST, VLV_REQUEST_RENAMED, type VlvRequest } from './ldap-vlv.ts';

export const PAGED_RESULTS = '1.2.840.113556.1.4.319';
export const SORT_REQUEST = '1.2.840.113556.1.4.473';
export const SORT_RESPONSE = '1.2.840.113556.1.4.474';
export const SUPPORTED_CONTROLS = [PAGED_RESULTS, SORT_REQUEST, VLV_REQUEST];

export interface ControlLike {
  type: string;
  criticality: boolean;
  value: unknown;
}

export interface SearchControls {
  paging: { size: number; offset: number } | null;
  sort: ContactSort | null;
  vlv: VlvRequest | null;
  /** A critical control we do not support: the search must fail. */
  unsupportedCritical: string | null;
}

const SORT_ATTRS: Record<string, ContactSort> = {
  // sn sorts like the directory: last name, else company, else first name
  cn: 'firstName', displayname: 'firstName', givenname: 'firstName',
  sn: 'name', surname: 'name', o: 'company',
};

export function readControls(controls: ControlLike[]): SearchControls {
  const out: SearchControls = { paging: null, sort: null, vlv: null, unsupportedCritical: null };
  for (const c of controls) {
    if (c.type === PAGED_RESULTS) {
      const v = c.value as { size?: number; cookie?: Buffer } | null;
      const cookie = v?.cookie && v.cookie.length > 0 ? Number(v.cookie.toString('utf8')) : 0;
      out.paging = { size: Math.max(0, v?.size ?? 0), offset: Number.isInteger(cookie) && cookie > 0 ? cookie : 0 };
    } else if (c.type === SORT_REQUEST) {
      const keys = (Array.isArray(c.value) ? c.value : [c.value]) as { attributeType?: string; reverseOrder?: boolean }[];
      const first = keys.find((k) => k?.attributeType);
      const sort = first ? SORT_ATTRS[first.attributeType!.toLowerCase()] : undefined;
      if (sort) out.sort = (first!.reverseOrder ? `-${sort}` : sort) as ContactSort;
      else if (c.criticality) out.unsupportedCritical = `sorting by ${first?.attributeType ?? '?'} is not supported`;
    } else if (c.type === VLV_REQUEST_RENAMED) {
      out.vlv = parseVlvRequest(c.value);
      if (!out.vlv && c.criticality) out.unsupportedCritical = 'malformed virtual list view control';
    } else if (c.criticality && !out.unsupportedCritical) {
      out.unsupportedCritical = `control ${c.type} is not supported`;
    }
  }
  return out;
}

/** The paged-results cookie is the offset of the next page; empty when there is none. */
export const pagingCookie = (nextOffset: number | null): Buffer =>
  nextOffset === null ? Buffer.alloc(0) : Buffer.from(String(nextOffset), 'utf8');
