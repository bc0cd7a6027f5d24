// Binary search over arrays sorted by a string key, and in-place insert/remove that keep them
// sorted: the building blocks of the name and number indexes and of directory order.

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

/** [from, to) of the items whose key starts with prefix. */
export function prefixRange<T>(items: readonly T[], key: (t: T) => string, prefix: string): [number, number] {
  return [lowerBound(items, key, prefix), lowerBound(items, key, prefix + '\uffff')];
}

/** [from, to) of the items whose key equals value. */
export function equalRange<T>(items: readonly T[], key: (t: T) => string, value: string): [number, number] {
  const from = lowerBound(items, key, value);
  let to = from;
  while (to < items.length && key(items[to]) === value) to++;
  return [from, to];
}

/** Inserts after every item with an equal key (keeps insertion order among equals). */
export function insertSorted<T>(items: T[], key: (t: T) => string, item: T): void {
  const k = key(item);
  let lo = lowerBound(items, key, k);
  while (lo < items.length && key(items[lo]) === k) lo++;
  items.splice(lo, 0, item);
}

/** Removes the item (found by identity among those with its key); false when absent. */
export function removeSorted<T>(items: T[], key: (t: T) => string, item: T, keyOfItem = key(item)): boolean {
  for (let i = lowerBound(items, key, keyOfItem); i < items.length && key(items[i]) === keyOfItem; i++) {
    if (items[i] === item) {
      items.splice(i, 1);
      return true;
    }
  }
  return false;
}
