// Encoded search entries: a phone directory is read thousands of times between changes, and
// BER-encoding an entry costs more than the search that found it. An entry is stored without
// its message id and framed per send. The cache is bounded by bytes (ldap.entryCacheBytes,
// oldest entries leave first) and keyed on a normalised attribute selection; selections longer
// than any phone sends are not cached at all, so no request can make a key or the cache grow.
import { int, octets, tlv } from './protocol/ber.ts';
import type { Attributes } from './ldap-entries.ts';

/** Phones ask for at most ~15 attributes; a longer list is answered but not cached. */
export const MAX_CACHED_SELECTION = 64;
/** Map bookkeeping per entry, beyond the key and body bytes. */
const ENTRY_OVERHEAD = 96;

interface Cached {
  accountRevision: number;
  body: Buffer;
  bytes: number;
}

export class EntryCache {
  private readonly entries = new Map<string, Cached>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The cached protocolOp part of a SearchResultEntry ([APPLICATION 4] ...), if any. */
  get(accountId: string, revision: number, key: string): Buffer | undefined {
    const k = `${accountId}\u0000${key}`;
    const hit = this.entries.get(k);
    if (!hit) return undefined;
    if (hit.accountRevision === revision) return hit.body;
    this.delete(k, hit); // the account changed (settings shape entries too)
    return undefined;
  }

  /** Encodes an entry and keeps it for this account revision (when the cache has room for it). */
  put(accountId: string, revision: number, key: string | null, e: { dn: string; attrs: Attributes; typesOnly: boolean }): Buffer {
    const body = encodeEntry(e.dn, e.attrs, e.typesOnly);
    if (key === null) return body;
    const k = `${accountId}\u0000${key}`;
    const bytes = body.length + k.length * 2 + ENTRY_OVERHEAD;
    if (bytes > this.maxBytes / 4) return body;
    const old = this.entries.get(k);
    if (old) this.delete(k, old);
    this.entries.set(k, { accountRevision: revision, body, bytes });
    this.bytes += bytes;
    for (const [oldest, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest, v);
    }
    return body;
  }

  private delete(k: string, v: Cached): void {
    this.entries.delete(k);
    this.bytes -= v.bytes;
  }
}

/**
 * The cache key part for a requested attribute list: lower-cased, without duplicates, sorted.
 * null (do not cache) for lists longer than MAX_CACHED_SELECTION.
 */
export function selectionKey(requested: string[], typesOnly: boolean): string | null {
  const names = [...new Set(requested.map((a) => a.toLowerCase()))];
  if (names.length > MAX_CACHED_SELECTION) return null;
  return names.sort().join(',') + (typesOnly ? '/t' : '');
}

/** SearchResultEntry ::= [APPLICATION 4] SEQUENCE { objectName, attributes PartialAttributeList } */
export function encodeEntry(dn: string, attrs: Attributes, typesOnly: boolean): Buffer {
  const list = Object.entries(attrs).map(([type, values]) =>
    tlv(0x30, [octets(type), tlv(0x31, typesOnly ? [] : values.map((v) => octets(v)))]));
  return tlv(0x64, [octets(dn), tlv(0x30, list)]);
}

/** LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp } around a cached body. */
export function frame(messageId: number, body: Buffer): Buffer {
  return tlv(0x30, [int(messageId), body]);
}
