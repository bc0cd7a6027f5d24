// A stable sort that gives the event loop back every so often: a bottom-up merge sort whose work
// is cut into turns of about `budget` element moves. Building a 100,000-contact read model sorts
// six arrays of that size; in one piece that held every phone's search for about a second.

/** Sorts a copy of items (stable, like Array.prototype.sort), awaiting `pause` between turns. */
export async function sortInSlices<T>(
  items: readonly T[], compare: (a: T, b: T) => number, pause: () => Promise<void>, budget = 20_000,
): Promise<T[]> {
  const RUN = 256;
  let src = items.slice();
  let work = 0;
  const spend = async (n: number) => {
    work += n;
    if (work >= budget) {
      work = 0;
      await pause();
    }
  };
  // short runs, each sorted in place (a stable sort)
  for (let from = 0; from < src.length; from += RUN) {
    const run = src.slice(from, from + RUN).sort(compare);
    for (let i = 0; i < run.length; i++) src[from + i] = run[i];
    await spend(run.length * 4);
  }
  // then merge neighbouring runs, doubling their width, until one is left
  let dst = new Array<T>(src.length);
  for (let width = RUN; width < src.length; width *= 2) {
    for (let lo = 0; lo < src.length; lo += 2 * width) {
      const mid = Math.min(lo + width, src.length);
      const hi = Math.min(lo + 2 * width, src.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (k < hi) {
        // the left one on ties: keeps equal items in their order (stable)
        dst[k++] = j >= hi || (i < mid && compare(src[i], src[j]) <= 0) ? src[i++] : src[j++];
        if ((k & 1023) === 0) await spend(1024);
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}
