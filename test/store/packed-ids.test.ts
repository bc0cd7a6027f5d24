// The created ids a batch keeps packed (packed-ids.ts) come back as they went in, in order.
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/store/ids.ts';
import { PackedIds } from '../../src/store/sqlite/packed-ids.ts';

describe('PackedIds', () => {
  it('gives back every id in the order pushed, across growth, other forms included', () => {
    const ids = Array.from({ length: 3000 }, () => newId());
    ids.splice(1500, 0, 'not-a-uuid', 'ABCDEF01-2345-6789-ABCD-EF0123456789');
    const packed = new PackedIds();
    for (const id of ids) packed.push(id);
    expect(packed.length).toBe(ids.length);
    expect(packed.toArray()).toEqual(ids);
    expect([...packed].slice(0, 3)).toEqual(ids.slice(0, 3));
  });

  it('is empty when nothing was pushed', () => {
    expect(new PackedIds().toArray()).toEqual([]);
  });
});
