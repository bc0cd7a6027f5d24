// Folded first/last/company/display names, each sorted on its own, so "jo*" or "= smith" on any
// of them is a binary search. (The sort name needs no index of its own: directory order is
// sorted by it.) Entries with an empty field are left out: neither a prefix nor equality with a
// non-empty value can match them.
// A lookup answers directory positions from a packed array beside each sorted list: reading
// thousands of positions for "j*" from scattered entry objects costs a cache miss each (~0.5 ms
// for 6,000 at 100k contacts); from an Int32Array it is a contiguous copy.
import type { DirEntry } from './directory-entry.ts';
import { insertSorted, lowerBound, removeSorted } from './sorted-keys.ts';

export type IndexedName = 'first' | 'last' | 'company' | 'display';
export const INDEXED_NAMES: readonly IndexedName[] = ['first', 'last', 'company', 'display'];

const KEY: Record<IndexedName, (e: DirEntry) => string> = {
  first: (e) => e.first, last: (e) => e.last, company: (e) => e.company, display: (e) => e.display,
};

export class NameIndex {
  private readonly sorted: Record<IndexedName, DirEntry[]>;
  /** Directory positions in the order of `sorted`; rebuilt on first use after a change. */
  private readonly positions: Partial<Record<IndexedName, Int32Array>> = {};

  /** entries in directory order: a stable sort keeps directory order among equal names. */
  constructor(entries: readonly DirEntry[], sorted?: Record<IndexedName, DirEntry[]>) {
    if (sorted) {
      this.sorted = sorted;
      return;
    }
    this.sorted = { first: [], last: [], company: [], display: [] };
    for (const f of INDEXED_NAMES) this.sorted[f] = NameIndex.listOf(f, entries).sort(NameIndex.compare(f));
  }

  /** The lists sorted elsewhere (listOf each field, sorted stably by compare). */
  static fromSorted(sorted: Record<IndexedName, DirEntry[]>): NameIndex {
    return new NameIndex([], sorted);
  }

  /** The entries a field's list holds (those with the field), in directory order. */
  static listOf(field: IndexedName, entries: readonly DirEntry[]): DirEntry[] {
    const key = KEY[field];
    return entries.filter((e) => key(e) !== '');
  }

  static compare(field: IndexedName): (a: DirEntry, b: DirEntry) => number {
    const key = KEY[field];
    return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  }

  /** Directory positions of the entries whose field starts with the (folded, non-empty) prefix. */
  prefix(field: IndexedName, prefix: string): Int32Array {
    return this.range(field, prefix, prefix + '\uffff');
  }

  /** Directory positions of the entries whose field equals the value. */
  equal(field: IndexedName, value: string): Int32Array {
    // no folded name holds a character below \u0001
    return this.range(field, value, value + '\u0000\u0000');
  }

  /** Call after directory positions moved (entries added or removed anywhere). */
  positionsMoved(): void {
    for (const f of INDEXED_NAMES) delete this.positions[f];
  }

  /** Many changes at once: drop the removed, append the added, and let the (run-aware) sort merge. */
  bulk(removed: ReadonlySet<DirEntry>, added: readonly DirEntry[]): void {
    for (const f of INDEXED_NAMES) {
      const key = KEY[f];
      const list = this.sorted[f].filter((e) => !removed.has(e));
      for (const e of added) if (key(e) !== '') list.push(e);
      list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      this.sorted[f] = list;
    }
    this.positionsMoved();
  }

  add(e: DirEntry): void {
    for (const f of INDEXED_NAMES) if (KEY[f](e) !== '') insertSorted(this.sorted[f], KEY[f], e);
    this.positionsMoved();
  }

  remove(e: DirEntry): void {
    for (const f of INDEXED_NAMES) if (KEY[f](e) !== '') removeSorted(this.sorted[f], KEY[f], e);
    this.positionsMoved();
  }

  /** Positions of the entries with from <= key < to (a view, not a copy). */
  private range(field: IndexedName, from: string, to: string): Int32Array {
    const list = this.sorted[field];
    const key = KEY[field];
    return this.positionsOf(field).subarray(lowerBound(list, key, from), lowerBound(list, key, to));
  }

  private positionsOf(field: IndexedName): Int32Array {
    let p = this.positions[field];
    if (!p) {
      const list = this.sorted[field];
      p = new Int32Array(list.length);
      for (let i = 0; i < list.length; i++) p[i] = list[i].pos;
      this.positions[field] = p;
    }
    return p;
  }
}
