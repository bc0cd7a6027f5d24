// The ids a batch created, 16 bytes each instead of a string each. A batch keeps them until it
// commits (its change-feed entries, its result); as strings a million-row import's ids were
// 64 MB of the import thread's heap, packed they are 16 MB outside it, and the import never
// reads them back (its change-feed entry says "everything", see logCreated).

/** "0190a3b2-7c4d-7e5f-8a6b-1c2d3e4f5a6b": what newId() makes. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class PackedIds {
  private bytes = Buffer.alloc(16 * 1024);
  private count = 0;
  /** Ids not in the UUID form (none from newId; kept as they are, in order, after the packed ones' places). */
  private readonly others = new Map<number, string>();

  get length(): number {
    return this.count;
  }

  push(id: string): void {
    if (!UUID.test(id)) {
      this.others.set(this.count++, id);
      return;
    }
    if ((this.count + 1) * 16 > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    const at = this.count++ * 16;
    this.bytes.write(id.slice(0, 8), at, 'hex');
    this.bytes.write(id.slice(9, 13), at + 4, 'hex');
    this.bytes.write(id.slice(14, 18), at + 6, 'hex');
    this.bytes.write(id.slice(19, 23), at + 8, 'hex');
    this.bytes.write(id.slice(24), at + 10, 'hex');
  }

  *[Symbol.iterator](): Generator<string> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }

  toArray(): string[] {
    return Array.from(this);
  }

  private at(i: number): string {
    const other = this.others.get(i);
    if (other !== undefined) return other;
    const hex = this.bytes.toString('hex', i * 16, i * 16 + 16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
