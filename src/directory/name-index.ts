// Folded first/last/company/display names, each sorted on its own, so "jo*" or "= smith" on any
// of them is a binary search; and the ids, sorted the same way (4 bytes an entry where a Map
// from id to entry took about 36). (The sort name needs no index of its own: directory order is
// sorted by it.) Entries with an empty field are left out: neither a prefix nor equality with a
// non-empty value can match them.
// Each field is one Int32Array of directory positions in the order of that field: a lookup
// answers a contiguous view of it (reading thousands of positions for "j*" from scattered entry
// objects cost a cache miss each), and it is 4 bytes per entry where a list of entries was 8
// more (issue 24). Positions move when entries are added or removed: one or two changes move
// them in place (removeAt, insertAt: a pass over each array per change); more first turn the
// arrays into lists of entries (edit), splice or merge those (bulk), and they become positions
// again once the entries are renumbered (positionsMoved): two passes per array, however many.
import type { DirEntry } from './directory-entry.ts';
import { insertSorted, lowerBound, removeSorted } from './sorted-keys.ts';
import { mapPositions, positionsOf, shiftPositions, withAt, withoutAt } from './packed-positions.ts';

export type IndexedName = 'first' | 'last' | 'company' | 'display' | 'id';
export const INDEXED_NAMES: readonly IndexedName[] = ['first', 'last', 'company', 'display', 'id'];

const KEY: Record<IndexedName, (e: DirEntry) => string> = {
  first: (e) => e.first, last: (e) => e.last, company: (e) => e.company, display: (e) => e.display, id: (e) => e.id,
};

/** Where the index reads entries by position (the directory, whose entries array is replaced by big changes). */
export interface EntrySource {
  readonly entries: readonly DirEntry[];
}

export class NameIndex {
  private positions = {} as Record<IndexedName, Int32Array>;
  /** While a change is applied: the entries of each field in its order. */
  private lists: Record<IndexedName, DirEntry[]> | null = null;

  /** positions: each field's directory positions in its order. */
  private constructor(private readonly source: EntrySource, positions: Record<IndexedName, Int32Array>) {
    this.positions = positions;
  }

  /** The index of the source's entries (positions current): a stable sort keeps directory order among equal names. */
  static of(source: EntrySource): NameIndex {
    const sorted = {} as Record<IndexedName, DirEntry[]>;
    const positions = {} as Record<IndexedName, Int32Array>;
    for (const f of INDEXED_NAMES) positions[f] = positionsOf(source.entries.filter(NameIndex.has(f)).sort(NameIndex.compare(f)), (e) => e.pos);
    return new NameIndex(source, positions);
  }

  /** Made elsewhere (AccountDirectory.prepare): for each field, the positions of the entries that have it, sorted stably by compare. */
  static fromPositions(source: EntrySource, positions: Record<IndexedName, Int32Array>): NameIndex {
    return new NameIndex(source, positions);
  }

  /** Whether an entry is in a field's index (it has the field). */
  static has(field: IndexedName): (e: DirEntry) => boolean {
    const key = KEY[field];
    return (e) => key(e) !== '';
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

  /** The entry with this id. */
  entryById(id: string): DirEntry | undefined {
    if (this.lists) {
      const l = this.lists.id;
      const e = l[lowerBound(l, KEY.id, id)];
      return e?.id === id ? e : undefined;
    }
    const p = this.positions.id;
    const i = this.lowerBound('id', p, id);
    const e = i < p.length ? this.source.entries[p[i]] : undefined;
    return e?.id === id ? e : undefined;
  }

  /** Before several changes move entries: the index is held as entries until positionsMoved (bulk, or removeAt/insertAt as list splices). */
  edit(): void {
    if (this.lists) return;
    const entries = this.source.entries;
    const lists = {} as Record<IndexedName, DirEntry[]>;
    for (const f of INDEXED_NAMES) lists[f] = mapPositions(this.positions[f], (p) => entries[p]);
    this.lists = lists;
  }

  /** After the entries were renumbered: back to positions. */
  positionsMoved(): void {
    if (!this.lists) return;
    for (const f of INDEXED_NAMES) this.positions[f] = positionsOf(this.lists[f], (e) => e.pos);
    this.lists = null;
  }

  /** Many changes at once (after edit): drop the removed, append the added, and let the (run-aware) sort merge. */
  bulk(removed: ReadonlySet<DirEntry>, added: readonly DirEntry[]): void {
    const lists = this.editing();
    for (const f of INDEXED_NAMES) {
      const key = KEY[f];
      const list = lists[f].filter((e) => !removed.has(e));
      for (const e of added) if (key(e) !== '') list.push(e);
      list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      lists[f] = list;
    }
  }

  /** Before entries.splice(p, 1): e, at directory position p, leaves. */
  removeAt(p: number, e: DirEntry): void {
    if (this.lists) {
      for (const f of INDEXED_NAMES) if (KEY[f](e) !== '') removeSorted(this.lists[f], KEY[f], e);
      return;
    }
    const entries = this.source.entries;
    for (const f of INDEXED_NAMES) {
      const key = KEY[f];
      const k = key(e);
      let positions = this.positions[f];
      if (k !== '') {
        for (let i = this.lowerBound(f, positions, k); i < positions.length && key(entries[positions[i]]) === k; i++) {
          if (positions[i] === p) {
            positions = withoutAt(positions, i);
            break;
          }
        }
      }
      shiftPositions(positions, p + 1, -1);
      this.positions[f] = positions;
    }
  }

  /** After entries.splice(p, 0, e): e arrived at directory position p. */
  insertAt(p: number, e: DirEntry): void {
    if (this.lists) {
      for (const f of INDEXED_NAMES) if (KEY[f](e) !== '') insertSorted(this.lists[f], KEY[f], e);
      return;
    }
    for (const f of INDEXED_NAMES) {
      const k = KEY[f](e);
      const positions = this.positions[f];
      shiftPositions(positions, p, 1);
      // after every equal name (lookups sort what they find by position: the order among equals is free)
      if (k !== '') this.positions[f] = withAt(positions, this.lowerBound(f, positions, k + '\u0000'), p);
    }
  }

  private editing(): Record<IndexedName, DirEntry[]> {
    if (!this.lists) throw new Error('NameIndex: edit() must come before entries move');
    return this.lists;
  }

  /** Positions of the entries with from <= key < to (a view, not a copy). */
  private range(field: IndexedName, from: string, to: string): Int32Array {
    const p = this.positions[field];
    return p.subarray(this.lowerBound(field, p, from), this.lowerBound(field, p, to));
  }

  private lowerBound(field: IndexedName, p: Int32Array, value: string): number {
    const key = KEY[field];
    const entries = this.source.entries;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(entries[p[mid]]) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
