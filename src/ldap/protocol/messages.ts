// LDAPMessage decoding (the requests a read-only directory serves) and response encoding
// (RFC 4511 4.1-4.14). A request that is valid BER but breaks a rule we can name is returned with
// `refused` (answered with that result code, the connection stays up); bytes that are not an
// LDAPMessage at all throw BerError (Notice of Disconnection, then close).
import { LdapCode } from '../../errors.ts';
import type { LdapFilter } from '../ldap-filter.ts';
import { BerError, BerReader, bool, enumerated, int, octets, tlv } from './ber.ts';
import { decodeFilter, FilterLimitError } from './filter-decoder.ts';

export interface RequestControl {
  type: string;
  criticality: boolean;
  value: Buffer | null;
}

export interface ResponseControl {
  type: string;
  value: Buffer | null;
}

interface Base {
  id: number;
  controls: RequestControl[];
  /** Valid BER, but the request cannot be served: answer with this code. */
  refused?: { code: number; message: string };
}

export type LdapRequest =
  | (Base & { op: 'bind'; version: number; name: string; password: Buffer | null })
  | (Base & { op: 'search'; base: string; scope: number; sizeLimit: number; timeLimit: number; typesOnly: boolean; filter: LdapFilter; attributes: string[] })
  | (Base & { op: 'unbind' })
  | (Base & { op: 'abandon'; target: number })
  | (Base & { op: 'extended'; name: string; value: Buffer | null })
  /** add, modify, delete, modify DN, compare: answered with `responseTag`. */
  | (Base & { op: 'write'; responseTag: number });

const WRITE_RESPONSES: Record<number, number> = { 0x66: 0x67, 0x68: 0x69, 0x4a: 0x6b, 0x6c: 0x6d, 0x6e: 0x6f };
export const TAG = { bindResponse: 0x61, searchEntry: 0x64, searchDone: 0x65, extendedResponse: 0x78 } as const;
const MAX_INT = 2147483647;

/** Decodes one whole LDAPMessage (as cut by the framer). */
export function decodeMessage(message: Buffer): LdapRequest {
  const msg = new BerReader(message).sequence();
  const id = msg.int();
  if (id < 0 || id > MAX_INT) throw new BerError('message id out of range');
  const { tag, content } = msg.any();
  const controls = msg.peek() === 0xa0 ? decodeControls(msg.sequence(0xa0)) : [];
  if (msg.remaining > 0) throw new BerError('bytes after the controls');
  const base = { id, controls };
  switch (tag) {
    case 0x60: {
      const version = content.int();
      const name = content.string();
      const auth = content.any();
      // SASL is not offered: answered authMethodNotSupported by the bind handler
      const password = auth.tag === 0x80 ? auth.content.rest() : null;
      if (auth.tag !== 0x80 && auth.tag !== 0xa3) throw new BerError('unknown authentication choice');
      return { ...base, op: 'bind', version, name, password };
    }
    case 0x42:
      return { ...base, op: 'unbind' };
    case 0x50:
      return { ...base, op: 'abandon', target: primitiveInt(content) };
    case 0x63:
      return decodeSearch(base, content);
    case 0x77: {
      const name = content.string(0x80);
      const value = content.peek() === 0x81 ? content.octets(0x81) : null;
      return { ...base, op: 'extended', name, value };
    }
    default:
      if (WRITE_RESPONSES[tag]) return { ...base, op: 'write', responseTag: WRITE_RESPONSES[tag] };
      throw new BerError(`unknown operation 0x${tag.toString(16)}`);
  }
}

function decodeSearch(base: Base, content: BerReader): LdapRequest {
  const dn = content.string();
  const scope = content.int(0x0a);
  content.int(0x0a); // derefAliases: we have no aliases
  const sizeLimit = content.int();
  const timeLimit = content.int();
  const typesOnly = content.bool();
  let filter: LdapFilter = { type: 'PresenceFilter', attribute: 'objectClass' };
  let refused: Base['refused'];
  try {
    filter = decodeFilter(content);
  } catch (e) {
    if (!(e instanceof FilterLimitError)) throw e;
    // the outermost filter element was read whole before its inside was decoded
    refused = { code: LdapCode.adminLimitExceeded, message: e.message };
  }
  const list = content.sequence();
  const attributes: string[] = [];
  while (list.remaining > 0) attributes.push(list.string());
  if (content.remaining > 0) throw new BerError('bytes after the attribute list');
  if (scope < 0 || scope > 2) refused ??= { code: LdapCode.protocolError, message: `unknown search scope ${scope}` };
  if (sizeLimit < 0 || timeLimit < 0) refused ??= { code: LdapCode.protocolError, message: 'negative size or time limit' };
  return { ...base, op: 'search', base: dn, scope, sizeLimit, timeLimit, typesOnly, filter, attributes, refused };
}

function decodeControls(list: BerReader): RequestControl[] {
  const out: RequestControl[] = [];
  while (list.remaining > 0) {
    const c = list.sequence();
    const type = c.string();
    const criticality = c.peek() === 0x01 ? c.bool() : false;
    const value = c.peek() === 0x04 ? c.octets() : null;
    if (c.remaining > 0) throw new BerError('bytes after a control value');
    out.push({ type, criticality, value });
  }
  return out;
}

/** An [APPLICATION n] INTEGER whose content is the integer's bytes (AbandonRequest). */
function primitiveInt(content: BerReader): number {
  const b = content.rest();
  if (b.length === 0 || b.length > 4) throw new BerError('abandon target of bad length');
  return b.readIntBE(0, b.length);
}

// ---------------------------------------------------------------- responses

/** LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0] OPTIONAL } */
export function envelope(id: number, op: Buffer, controls: ResponseControl[] = []): Buffer {
  const parts = [int(id), op];
  if (controls.length > 0) parts.push(tlv(0xa0, controls.map(encodeControl)));
  return tlv(0x30, parts);
}

export function result(tag: number, code: number, message = '', extra: Buffer[] = []): Buffer {
  return tlv(tag, [enumerated(code), octets(''), octets(message), ...extra]);
}

export function extendedResponse(code: number, message: string, name: string | null): Buffer {
  return result(TAG.extendedResponse, code, message, name ? [octets(name, 0x8a)] : []);
}

/** Unsolicited notification that the server is closing the connection (RFC 4511 4.4.1). */
export function noticeOfDisconnection(code: number, message: string): Buffer {
  return envelope(0, extendedResponse(code, message, '1.3.6.1.4.1.1466.20036'));
}

function encodeControl(c: ResponseControl): Buffer {
  const parts = [octets(c.type)];
  if (c.value) parts.push(octets(c.value));
  return tlv(0x30, parts);
}

export { bool };
