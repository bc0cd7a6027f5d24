// Entries as columns, for the trip from the build thread (build-worker.ts) to the thread that
// answers searches. A message is copied (structured clone) and read back in one piece on the
// receiving side: a million entries as objects in one message would hold the event loop for
// seconds, so they cross in chunks of CHUNK entries, one message each (a few ms to read back).
// Repeated strings (folded and raw names, titles, timestamps) cross once, into a table both
// sides grow in the same order, and entries name them by index; owner records likewise. Numbers
// cross as typed arrays, which are moved, not copied.
import { DirEntry, poolOwner, type Owner, type PackedNumbers, type StringPool } from './directory-entry.ts';

/** Entries per chunk: reading one back and making its entries takes a few ms. */
export const CHUNK = 4096;

/** The repeated-string fields, in the order of EntryChunk.shared. */
const SHARED = ['first', 'last', 'company', 'firstName', 'lastName', 'rawCompany', 'rawTitle', 'createdAt', 'updatedAt'] as const;
/** The fields each entry has its own string for, in the order of EntryChunk.own. */
const OWN = ['id', 'display', 'sortKey', 'rawEmail'] as const;

/** Consecutive entries in directory order. */
export interface EntryChunk {
  /** Strings new to the table, in order (the table starts with ''). */
  strings: string[];
  /** Owner records new to their table, in order. */
  owners: Owner[];
  /** Per entry, SHARED.length table indexes. */
  shared: Int32Array;
  /** Per entry, OWN.length strings. */
  own: string[];
  owner: Int32Array;
  seq: Float64Array;
  revision: Float64Array;
  nums: PackedNumbers[];
}

/** The sending side's tables: which strings and owners the receiver has been sent. */
export class ColumnWriter {
  private readonly strings = new Map<string, number>([['', 0]]);
  private readonly owners = new Map<Owner, number>();

  /** Entries [from, to) as a chunk, and the buffers to move with it. */
  chunk(entries: readonly DirEntry[], from: number, to: number): { chunk: EntryChunk; transfer: ArrayBuffer[] } {
    const n = to - from;
    const c: EntryChunk = {
      strings: [], owners: [], shared: new Int32Array(n * SHARED.length), own: new Array<string>(n * OWN.length),
      owner: new Int32Array(n), seq: new Float64Array(n), revision: new Float64Array(n), nums: new Array<PackedNumbers>(n),
    };
    for (let i = 0; i < n; i++) {
      const e = entries[from + i];
      for (let f = 0; f < SHARED.length; f++) c.shared[i * SHARED.length + f] = this.stringIndex(e[SHARED[f]], c.strings);
      for (let f = 0; f < OWN.length; f++) c.own[i * OWN.length + f] = e[OWN[f]];
      let o = this.owners.get(e.owner);
      if (o === undefined) {
        this.owners.set(e.owner, (o = this.owners.size));
        c.owners.push(e.owner);
      }
      c.owner[i] = o;
      c.seq[i] = e.seq;
      c.revision[i] = e.revision;
      c.nums[i] = e.nums;
    }
    return { chunk: c, transfer: [c.shared.buffer, c.owner.buffer, c.seq.buffer, c.revision.buffer] as ArrayBuffer[] };
  }

  private stringIndex(s: string, fresh: string[]): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      this.strings.set(s, (i = this.strings.size));
      fresh.push(s);
    }
    return i;
  }
}

/** The receiving side's tables, its strings and owners shared through the model's pool. */
export class ColumnReader {
  private readonly strings: string[] = [''];
  private readonly owners: Owner[] = [];

  constructor(private readonly pool: StringPool) {}

  /** Appends the chunk's entries to `out`, numbered by their place in it (directory order). */
  read(c: EntryChunk, out: DirEntry[]): void {
    for (const s of c.strings) this.strings.push(this.pool.of(s));
    for (const o of c.owners) this.owners.push(poolOwner(this.pool, o));
    const t = this.strings;
    const S = SHARED.length;
    const O = OWN.length;
    for (let i = 0; i < c.seq.length; i++) {
      const s = i * S;
      const e = new DirEntry({
        seq: c.seq[i], id: c.own[i * O], display: c.own[i * O + 1], sortKey: c.own[i * O + 2], rawEmail: c.own[i * O + 3],
        first: t[c.shared[s]], last: t[c.shared[s + 1]], company: t[c.shared[s + 2]], firstName: t[c.shared[s + 3]],
        lastName: t[c.shared[s + 4]], rawCompany: t[c.shared[s + 5]], rawTitle: t[c.shared[s + 6]],
        createdAt: t[c.shared[s + 7]], updatedAt: t[c.shared[s + 8]],
        owner: this.owners[c.owner[i]], revision: c.revision[i], nums: c.nums[i],
      });
      e.pos = out.length;
      out.push(e);
    }
  }
}
