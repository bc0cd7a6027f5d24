// Folded first/last/company/display names, each sorted on its own, so "jo*" or "= smith" on any
// of them is a binary search. (The sort name needs no index of its own: directory order is
// sorted by it.) Entries with an empty field are left out: neither a prefix nor equality with a
// non-empty value can match them.
import type { DirEntry } from './directory-entry.ts';
import { equalRange, insertSorted, prefixRange, removeSorted } from './sorted-keys.ts';

export type IndexedName = 'first' | 'last' | 'company' | 'display';
export const INDEXED_NAMES: readonly IndexedName[] = ['first', 'last', 'company', 'display'];

const KEY: Record<IndexedName, (e: DirEntry) => string> = {
  first: (e) => e.first, last: (e) => e.last, company: (e) => e.company, display: (e) => e.display,
};

export class NameIndex {
  private readonly sorted: Record<IndexedName, DirEntry[]>;

  /** entries in directory order: a stable sort keeps directory order among equal names. */
  constructor(entries: readonly DirEntry[]) {
    this.sorted = { first: [], last: [], company: [], display: [] };
    for (const f of INDEXED_NAMES) {
      const key = KEY[f];
      const list = entries.filter((e) => key(e) !== '');
      list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      this.sorted[f] = list;
    }
  }

  /** Entries whose field starts with the (folded, non-empty) prefix; in name order, not directory order. */
  prefix(field: IndexedName, prefix: string): DirEntry[] {
    const list = this.sorted[field];
    const [from, to] = prefixRange(list, KEY[field], prefix);
    return list.slice(from, to);
  }

  equal(field: IndexedName, value: string): DirEntry[] {
    const list = this.sorted[field];
    const [from, to] = equalRange(list, KEY[field], value);
    return list.slice(from, to);
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
  }

  add(e: DirEntry): void {
    for (const f of INDEXED_NAMES) if (KEY[f](e) !== '') insertSorted(this.sorted[f], KEY[f], e);
  }

  remove(e: DirEntry): void {
    for (const f of INDEXED_NAMES) if (KEY[f](e) !== '') removeSorted(this.sorted[f], KEY[f], e);
  }
}
