// Virtual list view (draft-ietf-ldapext-ldapv3-vlv), which Polycom phones use to scroll a large
// directory (dir.corp.vlv.allow=1). ldapjs 3.0.7 refuses to parse this control ("control is not
// enabled") and drops the connection, so the request control's OID is renamed in the byte stream
// before ldapjs sees it, and both request and response values are (de)coded here.
import asn1 from '@ldapjs/asn1';
import controls from '@ldapjs/controls';

// CommonJS packages: Node cannot see their named exports from ESM.
const { BerReader, BerWriter } = asn1;
const { Control } = controls;

export const VLV_REQUEST = '2.16.840.1.113730.3.4.9';
export const VLV_RESPONSE = '2.16.840.1.113730.3.4.10';
/** Same length as VLV_REQUEST, so BER lengths in the stream stay valid. */
export const VLV_REQUEST_RENAMED = '2.16.840.1.113730.3.4.v';

const FROM = Buffer.from(VLV_REQUEST, 'latin1');
const TO = Buffer.from(VLV_REQUEST_RENAMED, 'latin1');

/** Renames the VLV request OID wherever it appears as an OCTET STRING (tag 0x04, length 23). */
export function renameVlvOid(data: Buffer): Buffer {
  let i = data.indexOf(FROM);
  if (i < 0) return data;
  const out = Buffer.from(data);
  while (i >= 0) {
    if (i >= 2 && out[i - 2] === 0x04 && out[i - 1] === FROM.length) TO.copy(out, i);
    i = out.indexOf(FROM, i + 1);
  }
  return out;
}

export interface VlvRequest {
  beforeCount: number;
  afterCount: number;
  target: { offset: number; contentCount: number } | { greaterThanOrEqual: string };
}

export function parseVlvRequest(value: unknown): VlvRequest | null {
  if (!Buffer.isBuffer(value)) return null;
  try {
    const ber = new BerReader(value);
    ber.readSequence();
    const beforeCount = ber.readInt();
    const afterCount = ber.readInt();
    if (ber.peek() === 0xa0) {
      ber.readSequence(0xa0);
      const offset = ber.readInt();
      const contentCount = ber.readInt();
      return { beforeCount, afterCount, target: { offset, contentCount } };
    }
    const assertion = ber.readString(0x81, true) as Buffer;
    return { beforeCount, afterCount, target: { greaterThanOrEqual: assertion.toString('utf8') } };
  } catch {
    return null;
  }
}

/** A control whose value is already-encoded BER (the generic Control would re-encode it as text). */
class RawControl extends Control {
  constructor(type: string, private readonly raw: Buffer) {
    super({ type, criticality: false });
  }
  _toBer(ber: { writeBuffer(b: Buffer, tag: number): void }) {
    ber.writeBuffer(this.raw, 0x04);
  }
}

export function vlvResponse(targetPosition: number, contentCount: number, result: number): unknown {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(targetPosition);
  w.writeInt(contentCount);
  w.writeEnumeration(result);
  w.endSequence();
  return new RawControl(VLV_RESPONSE, w.buffer);
}
