// Binary search over arrays sorted by a string key (directory order's ranges), and in-place
// insert/remove that keep them sorted (the indexes while several changes are applied).

/** First index whose key is >= value (keys ascending, compared as JS strings). */
export function lowerBound<T>(items: readonly T[], key: (t: T) => string, value: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid]) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts after every item with an equal key (keeps insertion order among equals). */
export function insertSorted<T>(items: T[], key: (t: T) => string, item: T): void {
  const k = key(item);
  let lo = lowerBound(items, key, k);
  while (lo < items.length && key(items[lo]) === k) lo++;
  items.splice(lo, 0, item);
}

/** Removes the item (found by identity among those with its key); false when absent. */
export function removeSorted<T>(items: T[], key: (t: T) => string, item: T): boolean {
  const k = key(item);
  for (let i = lowerBound(items, key, k); i < items.length && key(items[i]) === k; i++) {
    if (items[i] === item) {
      items.splice(i, 1);
      return true;
    }
  }
  return false;
}
