// The background build's sort: the same order as Array.prototype.sort (stable: equal keys keep
// their order), whatever the size, and the event loop gets turns while it runs.
import { describe, expect, it } from 'vitest';
import { sortInSlices } from '../../src/directory/sliced-sort.ts';

describe('sortInSlices', () => {
  it('sorts like Array.prototype.sort, stably, at every size around its run and merge widths', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const byKey = (a: { k: number }, b: { k: number }) => a.k - b.k;
    for (const n of [0, 1, 2, 255, 256, 257, 511, 512, 513, 1000, 5000]) {
      const items = Array.from({ length: n }, (_, i) => ({ k: Math.floor(rand() * 20), i })); // many ties
      const sorted = await sortInSlices(items, byKey, async () => undefined, 100);
      expect(sorted.map((x) => x.i), `n=${n}`).toEqual([...items].sort(byKey).map((x) => x.i));
      expect(items.map((x) => x.i)).toEqual(Array.from({ length: n }, (_, i) => i)); // input untouched
    }
  });

  it('gives the event loop turns while it sorts a large array', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => String((i * 7919) % 100_003));
    let pauses = 0;
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 0);
    const sorted = await sortInSlices(items, (a, b) => (a < b ? -1 : a > b ? 1 : 0), () => {
      pauses++;
      return new Promise<void>((resolve) => setImmediate(resolve));
    });
    clearInterval(timer);
    expect(sorted).toEqual([...items].sort());
    expect(pauses).toBeGreaterThan(50);
    expect(ticks).toBeGreaterThan(0);
  });
});
