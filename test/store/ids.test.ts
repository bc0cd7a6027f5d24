import { describe, expect, it } from 'vitest';
import { newId } from '../../src/store/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId (UUID version 7)', () => {
  it('has the version 7 layout and the time of its making', () => {
    const before = Date.now();
    const id = newId();
    expect(id).toMatch(UUID_V7);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('rises in the order made, unique, even past 4096 ids in one millisecond', () => {
    const ids = Array.from({ length: 50_000 }, () => newId());
    expect(ids.filter((id) => !UUID_V7.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('spreads its random bits (every hex digit of the random part is used)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) for (const ch of newId().slice(24)) seen.add(ch);
    expect(seen.size).toBe(16);
    const variants = new Set(Array.from({ length: 400 }, () => newId()[19]));
    expect([...variants].sort()).toEqual(['8', '9', 'a', 'b']);
  });
});
