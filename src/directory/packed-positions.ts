// Small operations on the indexes' Int32Arrays of directory positions, for the few changes that
// are applied one by one (account-directory.ts: up to SPLICE_CHANGES): an entry leaving or
// arriving moves every later position by one, a pass over a typed array (tens of µs at 100,000).

/** Adds delta to every position >= from. */
export function shiftPositions(positions: Int32Array, from: number, delta: number): void {
  for (let i = 0; i < positions.length; i++) if (positions[i] >= from) positions[i] += delta;
}

/** A copy without the item at index i. */
export function withoutAt<A extends Int32Array | Uint16Array>(items: A, i: number): A {
  const out = new (items.constructor as new (n: number) => A)(items.length - 1);
  out.set(items.subarray(0, i));
  out.set(items.subarray(i + 1), i);
  return out;
}

/** A copy with value inserted at index i. */
export function withAt<A extends Int32Array | Uint16Array>(items: A, i: number, value: number): A {
  const out = new (items.constructor as new (n: number) => A)(items.length + 1);
  out.set(items.subarray(0, i));
  out[i] = value;
  out.set(items.subarray(i), i + 1);
  return out;
}
