// Which entries a criterion can possibly match, found through the indexes: directory-order
// ranges (sort-name tests) and lists of entries (other name prefixes, caller-ID numbers, groups,
// ids). The result is a superset; the compiled criterion decides each candidate. null means no
// index helps: the caller scans directory order (bounded by the account's size).
import { fold } from '../domain/text-fold.ts';
import type { Criterion } from '../store/store.ts';
import { AFTER_SEP, type DirEntry, SORT_SEP } from './directory-entry.ts';
import { equalityDigits, groupKey } from './criterion-match.ts';
import type { IndexedName, NameIndex } from './name-index.ts';
import type { NumberIndex } from './number-index.ts';
import { positionsOf } from './packed-positions.ts';
import { lowerBound } from './sorted-keys.ts';

export interface Candidates {
  /** [from, to) ranges of directory positions. */
  ranges: [number, number][];
  /** Directory positions in any order; a position may appear more than once. */
  lists: Int32Array[];
  size: number;
}

export interface PlanSources {
  entries: readonly DirEntry[];
  names: NameIndex;
  numbers: NumberIndex;
  groups: ReadonlyMap<string, readonly DirEntry[]>;
  entryById(id: string): DirEntry | undefined;
  region: string;
}

const INDEXED: Partial<Record<string, IndexedName>> = {
  firstName: 'first', lastName: 'last', company: 'company', displayName: 'display',
};

const SORT_KEY = (e: DirEntry) => e.sortKey;
const NOTHING = (): Candidates => ({ ranges: [], lists: [], size: 0 });
const range = (from: number, to: number): Candidates => ({ ranges: [[from, to]], lists: [], size: Math.max(0, to - from) });
const positions = (p: Int32Array): Candidates => ({ ranges: [], lists: [p], size: p.length });
const list = (entries: readonly DirEntry[]): Candidates => positions(positionsOf(entries, (e) => e.pos));

export function planCandidates(c: Criterion, s: PlanSources): Candidates | null {
  if ('all' in c) return null;
  if ('none' in c) return NOTHING();
  if ('and' in c) {
    // the narrowest indexed part bounds the whole AND
    let best: Candidates | null = null;
    for (const part of c.and) {
      const p = planCandidates(part, s);
      if (p && (!best || p.size < best.size)) best = p;
      if (best && best.size === 0) break;
    }
    return best;
  }
  if ('or' in c) {
    const out = NOTHING();
    for (const part of c.or) {
      const p = planCandidates(part, s);
      if (!p) return null;
      out.ranges.push(...p.ranges);
      out.lists.push(...p.lists);
      out.size += p.size;
      if (out.size > s.entries.length) return null; // as dear as a scan
    }
    return out;
  }
  if ('name' in c) return nameCandidates(c.name, c.op, fold(c.value ?? ''), s);
  if ('number' in c) {
    if (c.op === 'eq') {
      const digits = equalityDigits(c.value ?? '', s.region);
      return digits === '' ? NOTHING() : positions(s.numbers.exact(digits));
    }
    if (c.op === 'suffix') {
      const d = (c.value ?? '').replace(/\D/g, '');
      return d === '' ? null : positions(s.numbers.tail(d));
    }
    return null;
  }
  if ('group' in c) return list(s.groups.get(groupKey(c.group)) ?? []);
  if ('id' in c) {
    const e = s.entryById(c.id);
    return list(e ? [e] : []);
  }
  return null; // not, words, source: scan
}

function nameCandidates(field: string, op: string, v: string, s: PlanSources): Candidates | null {
  const entries = s.entries;
  const at = (key: string) => lowerBound(entries, SORT_KEY, key);
  if (field === 'sortName') {
    switch (op) {
      case 'eq': return range(at(v + SORT_SEP), at(v + AFTER_SEP));
      case 'prefix': return v === '' ? null : range(at(v), at(v + '\uffff'));
      case 'gte': return range(at(v), entries.length);
      case 'lte': return range(0, at(v + AFTER_SEP));
      default: return null;
    }
  }
  const indexed = INDEXED[field];
  if (!indexed || v === '') return null;
  if (op === 'prefix') return positions(s.names.prefix(indexed, v));
  if (op === 'eq') return positions(s.names.equal(indexed, v));
  return null;
}
