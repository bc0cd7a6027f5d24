// Virtual list view (draft-ietf-ldapext-ldapv3-vlv), which Polycom phones use to scroll a large
// directory (dir.corp.vlv.allow=1): request and response control values.
import { BerReader, enumerated, int, tlv } from './protocol/ber.ts';
import type { ResponseControl } from './protocol/messages.ts';

export const VLV_REQUEST = '2.16.840.1.113730.3.4.9';
export const VLV_RESPONSE = '2.16.840.1.113730.3.4.10';

export interface VlvRequest {
  beforeCount: number;
  afterCount: number;
  target: { offset: number; contentCount: number } | { greaterThanOrEqual: string };
}

/**
 * The request control's value; null when it is not valid (malformed BER, or a negative count,
 * which must never become "no limit").
 */
export function parseVlvRequest(value: Buffer | null): VlvRequest | null {
  if (!value) return null;
  try {
    const ber = new BerReader(value).sequence();
    const beforeCount = ber.int();
    const afterCount = ber.int();
    if (beforeCount < 0 || afterCount < 0) return null;
    if (ber.peek() === 0xa0) {
      const byOffset = ber.sequence(0xa0);
      const offset = byOffset.int();
      const contentCount = byOffset.int();
      if (offset < 0 || contentCount < 0) return null;
      return { beforeCount, afterCount, target: { offset, contentCount } };
    }
    const assertion = ber.octets(0x81);
    return { beforeCount, afterCount, target: { greaterThanOrEqual: assertion.toString('utf8') } };
  } catch {
    return null;
  }
}

export function vlvResponse(targetPosition: number, contentCount: number, result: number): ResponseControl {
  return { type: VLV_RESPONSE, value: tlv(0x30, [int(targetPosition), int(contentCount), enumerated(result)]) };
}
