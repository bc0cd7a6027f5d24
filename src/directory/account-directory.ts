// One account's directory in memory: every contact (all sources) in directory order, with the
// name, number, group and id indexes, answering ContactQuery like the store does. Results come
// out in directory order, so "first 50 of j*" visits about 50 matching entries, not all of them.
import type { Account } from '../domain/account-schemas.ts';
import type { Contact, ContactSort } from '../domain/contact-schemas.ts';
import type { ContactQuery, Visibility } from '../store/store.ts';
import { compileCriterion, groupKey } from './criterion-match.ts';
import { type Candidates, planCandidates, type PlanSources } from './criterion-plan.ts';
import { compareEntries, type DirEntry, entryVisible, StringPool, toEntry } from './directory-entry.ts';
import { INDEXED_NAMES, NameIndex, type IndexedName } from './name-index.ts';
import { NumberIndex, type NumberRef } from './number-index.ts';
import { forEachInSlices } from './packed-positions.ts';
import { sortInSlices } from './sliced-sort.ts';

/** A read model's arrays already sorted and numbered (AccountDirectory.prepare). */
export interface PreparedDirectory {
  /** In directory order, their positions set. */
  entries: DirEntry[];
  groups: Map<string, DirEntry[]>;
  /** Each name index's positions. */
  names: Record<IndexedName, Int32Array>;
  numbers: { positions: Int32Array; slots: Uint16Array };
  /** The strings the entries share; entries made later share them too. */
  pool: StringPool;
}

export interface DirectoryPage {
  entries: DirEntry[];
  total: number | null;
}

/** Below this many candidates, sorting their positions beats marking a bitmap of the account. */
const SMALL_CANDIDATES = 1024;
/**
 * Up to this many changes are spliced into the sorted arrays one by one (each splice moves the
 * array: ~50 µs at 100k entries); more are merged in one pass per array.
 */
const SPLICE_CHANGES = 64;
/**
 * Up to this many, the indexes' positions are moved in place (a pass over each typed array per
 * change); more are spliced as lists of entries and made positions again once.
 */
const IN_PLACE_CHANGES = 2;

const COMPARE: Record<Exclude<ContactSort, 'name' | '-name'>, (a: DirEntry, b: DirEntry) => number> = {
  lastName: (a, b) => cmp(a.last, b.last) || cmp(a.first, b.first) || a.seq - b.seq,
  '-lastName': (a, b) => cmp(b.last, a.last) || cmp(b.first, a.first) || b.seq - a.seq,
  firstName: (a, b) => cmp(a.first, b.first) || cmp(a.last, b.last) || a.seq - b.seq,
  '-firstName': (a, b) => cmp(b.first, a.first) || cmp(b.last, a.last) || b.seq - a.seq,
  company: (a, b) => cmp(a.company, b.company) || cmp(a.sortKey, b.sortKey) || a.seq - b.seq,
  '-company': (a, b) => cmp(b.company, a.company) || cmp(b.sortKey, a.sortKey) || b.seq - a.seq,
  updatedAt: (a, b) => cmp(a.updatedAt, b.updatedAt) || a.seq - b.seq,
  '-updatedAt': (a, b) => cmp(b.updatedAt, a.updatedAt) || b.seq - a.seq,
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class AccountDirectory implements PlanSources {
  entries: DirEntry[];
  readonly names: NameIndex;
  readonly numbers: NumberIndex;
  readonly groups: Map<string, DirEntry[]>;
  private nextSeq: number;
  private readonly pool: StringPool;
  /** One mark per entry, reused by every search (cleared after use): no per-search allocation. */
  private marks = new Uint8Array(0);

  /**
   * contacts: every contact of the account in insertion order (the store's tie-break), or their
   * entries already made (toEntry(contact, its position in that order)) by a build that made them
   * a page at a time. incarnation / revision: what the caller read before the contacts; the
   * revision is also where the change feed is followed from (writes during the read come again).
   */
  readonly region: string;

  /**
   * account: the account as read with the contacts; phone paths (binds, searches, phonebooks)
   * read it from here, not from the database (a settings change rebuilds the model).
   */
  constructor(contacts: readonly Contact[] | PreparedDirectory, readonly account: Account, readonly incarnation: string, public revision: number) {
    this.region = account.region;
    const prepared = Array.isArray(contacts) ? null : (contacts as PreparedDirectory);
    this.pool = prepared ? prepared.pool : new StringPool();
    this.entries = prepared ? prepared.entries : (contacts as readonly Contact[]).map((c, i) => toEntry(c, i, this.pool));
    if (!prepared) this.entries.sort(compareEntries);
    this.nextSeq = this.entries.length;
    if (prepared) {
      // all done a turn at a time by prepare: at 100,000 contacts the rest took 20-300 ms in one piece
      this.groups = prepared.groups;
      this.names = NameIndex.fromPositions(this, prepared.names);
      this.numbers = NumberIndex.fromPositions(this, prepared.numbers.positions, prepared.numbers.slots);
      return;
    }
    this.groups = new Map();
    this.renumber();
    for (const e of this.entries) this.addToGroups(e);
    this.names = NameIndex.of(this);
    this.numbers = NumberIndex.of(this);
  }

  /**
   * What the constructor would sort and number, awaiting pause between slices (sliced-sort.ts,
   * forEachInSlices): in the build thread, where a pause lets a cancel in; on the main thread (a
   * small account) it resolves at once. entries: toEntry(contact, its position in insertion order).
   */
  static async prepare(entries: DirEntry[], pool: StringPool, pause: () => Promise<void>): Promise<PreparedDirectory> {
    const sorted = await sortInSlices(entries, compareEntries, pause);
    await forEachInSlices(sorted.length, (i) => { sorted[i].pos = i; }, pause);
    const groups = new Map<string, DirEntry[]>();
    await forEachInSlices(sorted.length, (i) => addToGroups(groups, sorted[i]), pause);
    const names = {} as Record<IndexedName, Int32Array>;
    for (const f of INDEXED_NAMES) {
      const list: DirEntry[] = [];
      const has = NameIndex.has(f);
      await forEachInSlices(sorted.length, (i) => { if (has(sorted[i])) list.push(sorted[i]); }, pause);
      const byName = await sortInSlices(list, NameIndex.compare(f), pause);
      const positions = new Int32Array(byName.length);
      await forEachInSlices(byName.length, (i) => { positions[i] = byName[i].pos; }, pause);
      names[f] = positions;
    }
    const refs: NumberRef[] = [];
    await forEachInSlices(sorted.length, (i) => { for (let n = 0; n < sorted[i].numberCount; n++) refs.push({ entry: sorted[i], slot: n }); }, pause);
    const byDigits = await sortInSlices(refs, NumberIndex.compare, pause);
    const numbers = { positions: new Int32Array(byDigits.length), slots: new Uint16Array(byDigits.length) };
    await forEachInSlices(byDigits.length, (i) => {
      numbers.positions[i] = byDigits[i].entry.pos;
      numbers.slots[i] = byDigits[i].slot;
    }, pause);
    return { entries: sorted, groups, names, numbers, pool };
  }

  /** The entry with this id. */
  entryById(id: string): DirEntry | undefined {
    return this.names.entryById(id);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Applies contacts created or updated (their current state) and ids deleted. */
  apply(changed: readonly Contact[], deletedIds: readonly string[]): void {
    const count = changed.length + deletedIds.length;
    if (count > SPLICE_CHANGES) return this.applyMany(changed, deletedIds);
    // more than a couple: the indexes splice lists of entries, turned back into positions once
    if (count > IN_PLACE_CHANGES) {
      this.names.edit();
      this.numbers.edit();
    }
    for (const id of deletedIds) {
      const old = this.entryById(id);
      if (old) this.remove(old);
    }
    for (const c of changed) {
      const old = this.entryById(c.id);
      if (old) this.remove(old);
      const e = toEntry(c, old ? old.seq : this.nextSeq++, this.pool);
      const at = this.insertAt(e);
      this.entries.splice(at, 0, e);
      this.addToGroups(e);
      this.names.insertAt(at, e);
      this.numbers.insertAt(at, e);
    }
    this.renumber();
  }

  private applyMany(changed: readonly Contact[], deletedIds: readonly string[]): void {
    // the indexes hold entries, not positions, while entries move
    this.names.edit();
    this.numbers.edit();
    const removed = new Set<DirEntry>();
    for (const id of [...deletedIds, ...changed.map((c) => c.id)]) {
      const old = this.entryById(id);
      if (old) removed.add(old);
    }
    const added = changed.map((c) => toEntry(c, this.entryById(c.id)?.seq ?? this.nextSeq++, this.pool));
    const entries = this.entries.filter((e) => !removed.has(e));
    for (const e of added) entries.push(e);
    entries.sort(compareEntries);
    this.entries = entries;
    this.names.bulk(removed, added);
    this.numbers.bulk(removed, added);
    this.renumber();
    this.groups.clear();
    for (const e of this.entries) this.addToGroups(e);
  }

  /** The names of the groups holding at least one entry the visibility shows, in the stores'
   *  order (by group key): a group only personal contacts are in is no group phones may list. */
  groupNames(vis: Visibility): string[] {
    const out: [string, string][] = [];
    for (const [key, members] of this.groups) {
      const e = members.find((m) => entryVisible(m, vis));
      if (e) out.push([key, e.groups.find((g) => groupKey(g) === key) ?? key]);
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, name]) => name);
  }

  query(q: ContactQuery): DirectoryPage {
    const where = q.where ?? { all: true };
    const match = compileCriterion(where, this.region);
    const vis = q.visibility;
    const test = (e: DirEntry) => entryVisible(e, vis) && match(e);
    const sort = q.sort ?? 'name';
    const offset = Math.max(0, q.offset ?? 0);
    const limit = Math.max(0, q.limit ?? 50);
    // Candidates, even many (the first name "j*" is 1 in 10 entries), beat walking directory order:
    // reading scattered entries costs a cache miss each, and their matches may all be at the end.
    const candidates = planCandidates(where, this);
    const need = offset + limit;
    const ordered = sort === 'name' || sort === '-name';

    if (ordered) {
      const out: DirEntry[] = [];
      let total = 0;
      const end = need;
      this.walk(candidates, sort === '-name', (e) => {
        if (!test(e)) return true;
        if (total >= offset && total < end) out.push(e);
        total++;
        return q.withTotal === true || total < end;
      });
      return { entries: out, total: q.withTotal ? total : null };
    }
    const all: DirEntry[] = [];
    this.walk(candidates, false, (e) => {
      if (test(e)) all.push(e);
      return true;
    });
    all.sort(COMPARE[sort]);
    return { entries: all.slice(offset, offset + limit), total: q.withTotal ? all.length : null };
  }

  /** Visits candidates (each once) in directory order until visit returns false. */
  private walk(c: Candidates | null, descending: boolean, visit: (e: DirEntry) => boolean): void {
    const entries = this.entries;
    if (!c || (c.lists.length === 0 && c.ranges.length === 1)) {
      const [from, to] = c ? c.ranges[0] : [0, entries.length];
      if (descending) { for (let i = to - 1; i >= from; i--) if (!visit(entries[i])) return; }
      else for (let i = from; i < to; i++) if (!visit(entries[i])) return;
      return;
    }
    // (an eighth of a small account is "many" already: its bitmap is small too)
    if (c.size <= Math.min(SMALL_CANDIDATES, entries.length >> 3)) {
      const pos = new Int32Array(c.size);
      let n = 0;
      for (const [from, to] of c.ranges) for (let i = from; i < to; i++) pos[n++] = i;
      for (const l of c.lists) {
        pos.set(l, n);
        n += l.length;
      }
      pos.sort();
      if (descending) pos.reverse();
      for (let i = 0; i < n; i++) {
        if (i > 0 && pos[i] === pos[i - 1]) continue;
        if (!visit(entries[pos[i]])) return;
      }
      return;
    }
    // Many candidates: mark them on the account-sized bitmap and walk it in order.
    if (this.marks.length < entries.length) this.marks = new Uint8Array(entries.length);
    const marks = this.marks;
    let lo = entries.length;
    let hi = -1;
    for (const [from, to] of c.ranges) {
      if (to <= from) continue;
      marks.fill(1, from, to);
      if (from < lo) lo = from;
      if (to - 1 > hi) hi = to - 1;
    }
    for (const l of c.lists) {
      for (let i = 0; i < l.length; i++) {
        const p = l[i];
        marks[p] = 1;
        if (p < lo) lo = p;
        if (p > hi) hi = p;
      }
    }
    try {
      if (descending) { for (let i = hi; i >= lo; i--) if (marks[i] && !visit(entries[i])) return; }
      else for (let i = lo; i <= hi; i++) if (marks[i] && !visit(entries[i])) return;
    } finally {
      if (hi >= lo) marks.fill(0, lo, hi + 1);
    }
  }

  private remove(e: DirEntry): void {
    // insertAt finds e's own slot: entries are unique by (sortKey, seq)
    let at = this.insertAt(e);
    if (this.entries[at] !== e) at = this.entries.indexOf(e);
    // the indexes find e through the entries: before they move
    this.names.removeAt(at, e);
    this.numbers.removeAt(at, e);
    this.entries.splice(at, 1);
    for (const g of e.groups) {
      const members = this.groups.get(groupKey(g));
      if (!members) continue;
      const i = members.indexOf(e);
      if (i >= 0) members.splice(i, 1);
      if (members.length === 0) this.groups.delete(groupKey(g));
    }
  }

  /** First position whose entry is not before e in directory order. */
  private insertAt(e: DirEntry): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntries(this.entries[mid], e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private addToGroups(e: DirEntry): void {
    addToGroups(this.groups, e);
  }

  private renumber(): void {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) entries[i].pos = i;
    // (not yet built while the constructor numbers the entries)
    this.names?.positionsMoved();
    this.numbers?.positionsMoved();
  }
}

/** Adds e to the member list of each of its groups. */
export function addToGroups(groups: Map<string, DirEntry[]>, e: DirEntry): void {
  for (const g of e.groups) {
    const key = groupKey(g);
    let members = groups.get(key);
    if (!members) groups.set(key, (members = []));
    members.push(e);
  }
}
