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
  contactRevision: number;
  accountRevision: number;
  body: Buffer;
  bytes: number;
}

/** The entries of one account for one attribute selection, by contact id. */
export type EntryGroup = Map<string, Cached>;

export class EntryCache {
  /** Keyed by account and selection; oldest groups (and their oldest entries) leave first. */
  private readonly groups = new Map<string, EntryGroup>();
  private bytes = 0;
  private count = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): { entries: number; bytes: number } {
    return { entries: this.count, bytes: this.bytes };
  }

  /** The group for a response's entries (looked up once per response, not per entry). */
  group(accountId: string, incarnation: string, selection: string): { key: string; entries: EntryGroup } {
    // the incarnation too: an account deleted and created again restarts at revision 1
    const key = `${accountId}\u0000${incarnation}\u0000${selection}`;
    return { key, entries: this.groups.get(key) ?? new Map() };
  }

  /** The cached protocolOp part of a SearchResultEntry ([APPLICATION 4] ...), if current. */
  get(group: { entries: EntryGroup }, contactId: string, contactRevision: number, accountRevision: number): Buffer | undefined {
    const hit = group.entries.get(contactId);
    if (!hit) return undefined;
    // the account's settings shape entries too (name format): both revisions must match
    return hit.contactRevision === contactRevision && hit.accountRevision === accountRevision ? hit.body : undefined;
  }

  /** Keeps an encoded entry (when it fits the budget). */
  put(group: { key: string; entries: EntryGroup }, contactId: string, contactRevision: number, accountRevision: number, body: Buffer): void {
    const bytes = body.length + (contactId.length + group.key.length) * 2 + ENTRY_OVERHEAD;
    if (bytes > this.maxBytes / 4) return;
    if (this.groups.get(group.key) !== group.entries) this.groups.set(group.key, group.entries);
    const old = group.entries.get(contactId);
    if (old) this.forget(old);
    group.entries.set(contactId, { contactRevision, accountRevision, body, bytes });
    this.bytes += bytes;
    this.count++;
    this.evict();
  }

  private evict(): void {
    for (const [key, entries] of this.groups) {
      for (const [id, v] of entries) {
        if (this.bytes <= this.maxBytes) return;
        entries.delete(id);
        this.forget(v);
      }
      this.groups.delete(key);
    }
  }

  private forget(v: Cached): void {
    this.bytes -= v.bytes;
    this.count--;
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

/** Every body framed as one LDAPMessage each, written into a single buffer (one copy per body). */
export function frameAll(messageId: number, bodies: Buffer[]): Buffer {
  const id = int(messageId);
  let total = 0;
  for (const b of bodies) total += messageSize(id.length + b.length);
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (const b of bodies) {
    const len = id.length + b.length;
    out[p++] = 0x30;
    if (len < 0x80) out[p++] = len;
    else {
      const n = lengthBytes(len);
      out[p++] = 0x80 | n;
      for (let i = n - 1; i >= 0; i--) out[p++] = Math.floor(len / 256 ** i) & 0xff;
    }
    p += id.copy(out, p);
    p += b.copy(out, p);
  }
  return out;
}

const lengthBytes = (len: number): number => (len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 4);
const messageSize = (len: number): number => 1 + (len < 0x80 ? 1 : 1 + lengthBytes(len)) + len;
