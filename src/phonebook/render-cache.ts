// Rendered phonebooks kept in memory, bounded by bytes (body + gzip + key) and by count, least
// recently used out first. Keys are built only from what a template reads (phonebook-service),
// so junk query parameters can never add entries; the byte bound holds whatever the URLs.

export interface CacheStats { entries: number; bytes: number; maxBytes: number; hits: number; misses: number; evictions: number }

export class ByteLruCache<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly maxBytes: number, private readonly maxEntries: number) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Stores a value of the given size; a value larger than the whole budget is not kept. */
  set(key: string, value: V, size: number): void {
    const bytes = size + key.length * 2;
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.bytes -= old.bytes;
    }
    if (bytes > this.maxBytes || this.maxEntries === 0) return;
    while (this.bytes + bytes > this.maxBytes || this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.bytes -= this.map.get(oldest.value)!.bytes;
      this.map.delete(oldest.value);
      this.evictions++;
    }
    this.map.set(key, { value, bytes });
    this.bytes += bytes;
  }

  stats(): CacheStats {
    return { entries: this.map.size, bytes: this.bytes, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }
}
