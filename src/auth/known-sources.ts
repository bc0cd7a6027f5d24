// The sign-in limiter's memory of recent successes per (source, login) in this process: a phone
// or an office that signed in recently is checked against its own (source, login) counter only,
// and, while this memo is fresh, without reading the store at all. Bounded: entries are made only
// by successful sign-ins, the least recently used leaves first, so a flood of distinct keys
// cannot grow memory without bound.
import type { SigninCount } from '../store/store.ts';

export interface KnownSource {
  /** The latest success known (this process's or the store's), epoch ms. */
  knownAt: number;
  /** The latest success the store is known to hold for this pair (0: none). */
  storedAt: number;
  /** The (source, login) counter as last read or written, and when (null: none then). */
  pair: SigninCount | null;
  readAt: number;
}

export class KnownSources {
  private readonly entries = new Map<string, KnownSource>();
  constructor(private readonly maxEntries: number) {}

  /** The entry if the pair succeeded within knownMs; a stale one is dropped. */
  get(key: string, now: number, knownMs: number): KnownSource | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (now - e.knownAt >= knownMs) {
      this.entries.delete(key);
      return null;
    }
    // most recently used last, so the first key is the one to drop
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  put(key: string, entry: KnownSource): KnownSource {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }
}
