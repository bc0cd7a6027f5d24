// Every stored number sorted by its digits read backwards: a caller-ID lookup ("*4292500", or
// the full number) is a binary search for a prefix of the reversed digits, the same trick as the
// store's digits_rev column. Kinds (work, mobile...) are checked afterwards by the criterion.
// Compact (issue 24): two typed arrays, the entry's directory position and which of its numbers,
// compared by reading the entry's packed number from its end; no reversed copy of the digits and
// no object per number (those were about 100 bytes per contact). Changes as for the name index.
import { reverse } from '../domain/phone-number.ts';
import { type DirEntry, DIGITS_FROM, NUMBER_SEP } from './directory-entry.ts';
import type { EntrySource } from './name-index.ts';
import { mapPositions, positionsOf, shiftPositions, slotsOf, withAt, withoutAt } from './packed-positions.ts';

/** One number of an entry: what a build sorts before the index is made (NumberIndex.fromSorted). */
export interface NumberRef {
  entry: DirEntry;
  slot: number;
}

/** Reversed digits of packed number p against key (a reversed-digits string, maybe with a bound character after it). */
function compareToKey(p: string, key: string): number {
  let i = p.indexOf(NUMBER_SEP) - 1;
  let k = 0;
  for (; i >= DIGITS_FROM && k < key.length; i--, k++) {
    const d = p.charCodeAt(i) - key.charCodeAt(k);
    if (d !== 0) return d;
  }
  return (i >= DIGITS_FROM ? 1 : 0) - (k < key.length ? 1 : 0);
}

/** Two packed numbers by their reversed digits. */
function comparePacked(a: string, b: string): number {
  let i = a.indexOf(NUMBER_SEP) - 1;
  let j = b.indexOf(NUMBER_SEP) - 1;
  for (; i >= DIGITS_FROM && j >= DIGITS_FROM; i--, j--) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return (i >= DIGITS_FROM ? 1 : 0) - (j >= DIGITS_FROM ? 1 : 0);
}

const byDigits = (a: NumberRef, b: NumberRef) => comparePacked(a.entry.packed(a.slot), b.entry.packed(b.slot));

/** In refs sorted by number: the first ref whose number is not below p (after: not below or equal). */
function refBound(refs: readonly NumberRef[], p: string, after: boolean): number {
  let lo = 0;
  let hi = refs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = comparePacked(refs[mid].entry.packed(refs[mid].slot), p);
    if (c < 0 || (after && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class NumberIndex {
  /** Directory position of each number's entry, in the order of the numbers' reversed digits. */
  private positions: Int32Array;
  /** Which of the entry's numbers. */
  private slots: Uint16Array;
  /** While a change is applied: the numbers as (entry, slot). */
  private refs: NumberRef[] | null = null;

  private constructor(private readonly source: EntrySource, positions: Int32Array, slots: Uint16Array) {
    this.positions = positions;
    this.slots = slots;
  }

  /** The index of the source's entries (positions current). */
  static of(source: EntrySource): NumberIndex {
    const sorted = NumberIndex.refsOf(source.entries).sort(byDigits);
    return new NumberIndex(source, positionsOf(sorted, (r) => r.entry.pos), slotsOf(sorted, (r) => r.slot));
  }

  /** Made elsewhere (AccountDirectory.prepare): refsOf the entries sorted stably by compare, as positions and slots. */
  static fromPositions(source: EntrySource, positions: Int32Array, slots: Uint16Array): NumberIndex {
    return new NumberIndex(source, positions, slots);
  }

  /** One ref per number of the entries, in their order. */
  static refsOf(entries: readonly DirEntry[]): NumberRef[] {
    const refs: NumberRef[] = [];
    for (const e of entries) for (let i = 0; i < e.numberCount; i++) refs.push({ entry: e, slot: i });
    return refs;
  }

  static readonly compare = byDigits;

  /** Directory positions of entries with a number whose digits are exactly these (an entry may come twice). */
  exact(digits: string): Int32Array {
    const key = reverse(digits);
    // no digit is below \u0000: a longer number with these digits at its end sorts after key + \u0000
    return this.positions.subarray(this.lowerBound(key), this.lowerBound(key + '\u0000'));
  }

  /** Directory positions of entries with a number ending in these digits (an entry may come twice). */
  tail(digits: string): Int32Array {
    const key = reverse(digits);
    return this.positions.subarray(this.lowerBound(key), this.lowerBound(key + '\uffff'));
  }

  /** Before several changes move entries: the index is held as (entry, slot) until positionsMoved. */
  edit(): void {
    if (this.refs) return;
    const entries = this.source.entries;
    this.refs = mapPositions(this.positions, (p, i) => ({ entry: entries[p], slot: this.slots[i] }));
  }

  /** After the entries were renumbered: back to positions. */
  positionsMoved(): void {
    if (!this.refs) return;
    this.positions = positionsOf(this.refs, (r) => r.entry.pos);
    this.slots = slotsOf(this.refs, (r) => r.slot);
    this.refs = null;
  }

  /** Many changes at once (after edit): drop the removed, append the added, and let the (run-aware) sort merge. */
  bulk(removed: ReadonlySet<DirEntry>, added: readonly DirEntry[]): void {
    const refs = this.editing().filter((r) => !removed.has(r.entry));
    refs.push(...NumberIndex.refsOf(added));
    this.refs = refs.sort(byDigits);
  }

  /** Before entries.splice(p, 1): e, at directory position p, leaves. */
  removeAt(p: number, e: DirEntry): void {
    if (this.refs) return this.removeRefs(e);
    const entries = this.source.entries;
    for (let n = 0; n < e.numberCount; n++) {
      const key = reverse(e.numberDigits(n));
      for (let i = this.lowerBound(key); i < this.positions.length && compareToKey(entries[this.positions[i]].packed(this.slots[i]), key) === 0; i++) {
        if (this.positions[i] === p && this.slots[i] === n) {
          this.positions = withoutAt(this.positions, i);
          this.slots = withoutAt(this.slots, i);
          break;
        }
      }
    }
    shiftPositions(this.positions, p + 1, -1);
  }

  /** After entries.splice(p, 0, e): e arrived at directory position p. */
  insertAt(p: number, e: DirEntry): void {
    if (this.refs) return this.insertRefs(e);
    shiftPositions(this.positions, p, 1);
    for (let n = 0; n < e.numberCount; n++) {
      // after every equal number
      const at = this.lowerBound(reverse(e.numberDigits(n)) + '\u0000');
      this.positions = withAt(this.positions, at, p);
      this.slots = withAt(this.slots, at, n);
    }
  }

  private insertRefs(e: DirEntry): void {
    const refs = this.editing();
    // after every equal number
    for (let n = 0; n < e.numberCount; n++) refs.splice(refBound(refs, e.packed(n), true), 0, { entry: e, slot: n });
  }

  private removeRefs(e: DirEntry): void {
    const refs = this.editing();
    for (let n = 0; n < e.numberCount; n++) {
      const p = e.packed(n);
      for (let at = refBound(refs, p, false); at < refs.length && comparePacked(refs[at].entry.packed(refs[at].slot), p) === 0; at++) {
        if (refs[at].entry === e && refs[at].slot === n) {
          refs.splice(at, 1);
          break;
        }
      }
    }
  }

  private editing(): NumberRef[] {
    if (!this.refs) throw new Error('NumberIndex: edit() must come before entries move');
    return this.refs;
  }

  /** First index whose reversed digits are not below key. */
  private lowerBound(key: string): number {
    const entries = this.source.entries;
    const positions = this.positions;
    const slots = this.slots;
    let lo = 0;
    let hi = positions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareToKey(entries[positions[mid]].packed(slots[mid]), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
