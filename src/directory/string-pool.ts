// One copy of each repeated string in an account's read model: first names, companies, group
// lists, who wrote a contact... come from the store as a fresh string per row, and at a million
// contacts the copies were most of the model's memory (issue 24). Only fields that repeat go
// through it: a unique string (an id, an e-mail) would cost a map entry and save nothing.

export class StringPool {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();
  private readonly records = new Map<string, object>();

  /** The pool's copy of s. */
  of(s: string): string {
    if (s === '') return '';
    const had = this.strings.get(s);
    if (had !== undefined) return had;
    this.strings.set(s, s);
    return s;
  }

  /** A shared, frozen copy of a list of strings (group lists: most contacts have the same few). */
  list(items: readonly string[]): readonly string[] {
    if (items.length === 0) return NO_STRINGS;
    const key = items.join('\u0000');
    const had = this.lists.get(key);
    if (had) return had;
    const copy = Object.freeze(items.map((s) => this.of(s)));
    this.lists.set(key, copy);
    return copy;
  }

  /** A shared copy of a small record identified by key (make builds it when it is new). */
  record<T extends object>(key: string, make: () => T): T {
    const had = this.records.get(key);
    if (had) return had as T;
    const made = Object.freeze(make());
    this.records.set(key, made);
    return made;
  }
}

export const NO_STRINGS: readonly string[] = Object.freeze([]);
