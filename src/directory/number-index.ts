// Every stored number by its digits reversed, sorted: a caller-ID lookup ("*4292500", or the
// full number) is a binary search for a prefix of the reversed digits, the same trick as the
// store's digits_rev column. Kinds (work, mobile...) are checked afterwards by the criterion.
import { reverse } from '../domain/phone-number.ts';
import type { DirEntry } from './directory-entry.ts';
import { equalRange, lowerBound, prefixRange } from './sorted-keys.ts';

export interface NumberRef {
  rev: string;
  entry: DirEntry;
}

const REV = (n: NumberRef) => n.rev;
const byRev = (a: NumberRef, b: NumberRef) => (a.rev < b.rev ? -1 : a.rev > b.rev ? 1 : 0);

export class NumberIndex {
  private refs: NumberRef[];

  constructor(entries: readonly DirEntry[], sorted?: NumberRef[]) {
    this.refs = sorted ?? NumberIndex.refsOf(entries).sort(byRev);
  }

  /** The refs sorted elsewhere (refsOf, sorted stably by compare). */
  static fromSorted(refs: NumberRef[]): NumberIndex {
    return new NumberIndex([], refs);
  }

  /** One ref per number of the entries, in their order. */
  static refsOf(entries: readonly DirEntry[]): NumberRef[] {
    const refs: NumberRef[] = [];
    for (const e of entries) for (let i = 0; i < e.numberCount; i++) refs.push({ rev: reverse(e.numberDigits(i)), entry: e });
    return refs;
  }

  static readonly compare = byRev;

  /** Many changes at once: drop the removed, append the added, and let the (run-aware) sort merge. */
  bulk(removed: ReadonlySet<DirEntry>, added: readonly DirEntry[]): void {
    const refs = this.refs.filter((r) => !removed.has(r.entry));
    for (const e of added) for (let i = 0; i < e.numberCount; i++) refs.push({ rev: reverse(e.numberDigits(i)), entry: e });
    refs.sort(byRev);
    this.refs = refs;
  }

  /** Entries with a number whose digits are exactly these (an entry may come twice). */
  exact(digits: string): DirEntry[] {
    const [from, to] = equalRange(this.refs, REV, reverse(digits));
    return this.entriesIn(from, to);
  }

  /** Entries with a number ending in these digits (an entry may come twice). */
  tail(digits: string): DirEntry[] {
    const [from, to] = prefixRange(this.refs, REV, reverse(digits));
    return this.entriesIn(from, to);
  }

  add(e: DirEntry): void {
    for (let i = 0; i < e.numberCount; i++) {
      const rev = reverse(e.numberDigits(i));
      let at = lowerBound(this.refs, REV, rev);
      while (at < this.refs.length && this.refs[at].rev === rev) at++;
      this.refs.splice(at, 0, { rev, entry: e });
    }
  }

  remove(e: DirEntry): void {
    for (let i = 0; i < e.numberCount; i++) {
      const rev = reverse(e.numberDigits(i));
      for (let i = lowerBound(this.refs, REV, rev); i < this.refs.length && this.refs[i].rev === rev; i++) {
        if (this.refs[i].entry === e) {
          this.refs.splice(i, 1);
          break;
        }
      }
    }
  }

  private entriesIn(from: number, to: number): DirEntry[] {
    const out: DirEntry[] = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.refs[i].entry;
    return out;
  }
}
