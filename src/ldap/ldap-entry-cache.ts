// Encoded search entries, kept per account revision: a phone directory is read thousands of
// times between changes, and BER-encoding an entry (DN parse, attribute objects) costs far more
// than the search that found it. An entry is stored without its message id and framed per send.
import dnPackage from '@ldapjs/dn';
import attributePackage from '@ldapjs/attribute';
import messages from '@ldapjs/messages';
import type { Attributes } from './ldap-entries.ts';

// CommonJS packages: Node cannot see their named exports from ESM.
const { DN } = dnPackage;
const Attribute = attributePackage;
const { SearchResultEntry } = messages;

const MAX_ENTRIES = 500_000;

export class EntryCache {
  private revisions = new Map<string, number>();
  private entries = new Map<string, Buffer>();

  /** The cached protocolOp part of a SearchResultEntry ([APPLICATION 4] ...), if any. */
  get(accountId: string, revision: number, key: string): Buffer | undefined {
    if (this.revisions.get(accountId) !== revision) this.dropAccount(accountId, revision);
    return this.entries.get(`${accountId}\u0000${key}`);
  }

  /** Encodes an entry once and keeps it for this account revision. */
  put(accountId: string, key: string, e: { dn: string; attrs: Attributes; typesOnly: boolean }): Buffer {
    const body = encodeBody(e.dn, e.attrs, e.typesOnly);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(`${accountId}\u0000${key}`, body);
    return body;
  }

  private dropAccount(accountId: string, revision: number): void {
    const prefix = `${accountId}\u0000`;
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
    this.revisions.set(accountId, revision);
  }
}

function encodeBody(dn: string, attrs: Attributes, typesOnly: boolean): Buffer {
  const attributes = Object.entries(attrs).map(([type, values]) => new Attribute({ type, values: typesOnly ? [] : values }));
  const full: Buffer = new SearchResultEntry({ messageId: 1, objectName: DN.fromString(dn), attributes }).toBer().buffer;
  // strip the LDAPMessage SEQUENCE header and the messageId INTEGER (02 01 01)
  const headerLen = full[1] < 0x80 ? 2 : 2 + (full[1] & 0x7f);
  return full.subarray(headerLen + 3);
}

/** LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp } around a cached body. */
export function frame(messageId: number, body: Buffer): Buffer {
  const id = encodeInteger(messageId);
  const len = id.length + body.length;
  return Buffer.concat([Buffer.from([0x30]), encodeLength(len), id, body]);
}

function encodeInteger(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return Buffer.from([0x02, bytes.length, ...bytes]);
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
