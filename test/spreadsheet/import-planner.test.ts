// The planner hands out an add-mode import's ops slice by slice and keeps none of them (issue
// 24: holding every planned contact of a 1,000,000-row import took 1.6 GB of the import thread's
// heap), while still knowing whether the import wrote anything.
import { describe, expect, it } from 'vitest';
import { mapHeader } from '../../src/spreadsheet/header-aliases.ts';
import { checkRow, ImportPlanner } from '../../src/spreadsheet/import-plan.ts';

const header = (() => {
  const h = mapHeader(['First Name', 'Work Number']);
  if (!h.ok) throw new Error(h.reason);
  return h.map;
})();
const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => checkRow(
  { row: from + i, cells: [`F${from + i}`, `+1 469 555 ${String(from + i).padStart(4, '0')}`] }, header, 'US', 'add', new Set()));

describe('import planner', () => {
  it('lets go of the ops it hands out, and counts them', () => {
    const planner = new ImportPlanner(header, [], 'US', 'add');
    planner.accept(rows(2, 300));
    expect(planner.takeOps()).toHaveLength(300);
    expect(planner.takeOps()).toHaveLength(0); // taken once
    planner.accept(rows(302, 200));
    planner.accept(rows(2, 5)); // the same contacts again: duplicates, no ops
    const plan = planner.finish();
    expect(plan.ops).toHaveLength(200); // what was not taken yet, not all 500
    expect(planner.opCount).toBe(500);
    expect(plan.counts).toMatchObject({ created: 500, skipped: 5 });
    expect(plan.duplicates.map((d) => d.sameAsRow)).toEqual([2, 3, 4, 5, 6]);
  });

  it('keeps the first warnings in row order and counts them all', () => {
    // a German number in its national form: kept for a US account, with a warning
    const foreign = (from: number, n: number) => Array.from({ length: n }, (_, i) => checkRow(
      { row: from + i, cells: [`G${from + i}`, `030 1234${String(from + i).padStart(4, '0')}`] }, header, 'US', 'upsert', new Set()));
    const planner = new ImportPlanner(header, [], 'US', 'upsert', [], 3);
    for (let from = 2; from < 3000; from += 500) planner.accept(foreign(from, 500));
    const plan = planner.finish();
    expect(plan.counts.created).toBe(3000);
    expect(plan.warningCount).toBe(3000);
    expect(plan.warnings.map((w) => w.row)).toEqual([2, 3, 4]);
    expect(plan.warnings[0]).toMatchObject({ code: 'number_not_valid_for_region' });
  });

  it('knows an import that plans nothing', () => {
    const planner = new ImportPlanner(header, [], 'US', 'add');
    expect(planner.opCount).toBe(0);
    planner.finish();
    expect(planner.opCount).toBe(0);
  });
});
