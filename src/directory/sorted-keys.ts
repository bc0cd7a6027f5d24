// Binary search over arrays sorted by a string key: directory order's ranges (criterion-plan.ts).

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
