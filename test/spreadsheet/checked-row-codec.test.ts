// Checked rows cross from the check thread to the import thread packed into a flat array: every
// kind of row must come out exactly as it went in, in order.
import { describe, expect, it } from 'vitest';
import { packRows, unpackRows } from '../../src/spreadsheet/checked-row-codec.ts';
import { checkRow, type CheckedRow } from '../../src/spreadsheet/import-plan.ts';
import { mapHeader } from '../../src/spreadsheet/header-aliases.ts';

const TITLES = ['ID', 'First Name', 'Last Name', 'Company', 'Title', 'Work Number', 'Mobile Number', 'Home Number', 'Fax Number', 'Email', 'Groups', 'Notes'];
const found = mapHeader(TITLES);
if (!found.ok) throw new Error(found.reason);
const header = found.map;
let n = 2;
const row = (cells: string[], stored = new Set<string>()) => checkRow({ row: n++, cells }, header, 'US', 'upsert', stored);

describe('checked-row codec', () => {
  it('gives back every kind of row, unchanged and in order', () => {
    const exact = row(['', 'Stored', 'Copy', '', '', '+1 214 555 0142', '', '', '', '', '', '']);
    const storedCopy = row(['', 'Stored', 'Copy', '', '', '+1 214 555 0142', '', '', '', '', '', ''], new Set([exact.rawKey]));
    const rows: CheckedRow[] = [
      row(['', 'Ann', 'Lee', 'Acme', 'Buyer', '(214) 555-0100 x123', '+44 20 7946 0000', '', '', 'ann@acme.example', 'Suppliers; VIP', '']),
      row(['019a0000-0000-7000-8000-000000000001', 'Émile', 'Zola-Dupont de la Mare', 'Ædificium & Sons', '', '030 52037728', '', '', '', '', '', '']), // foreign national: warning
      row(['', 'Tab\there', 'Line', '', '', '', '', '', '', '', '', '']), // cleaned: warning
      row(['', 'Dropped', 'Note', '', '', '', '', '', '', '', '', 'a note']), // dropped value
      row(['', 'Bad', 'Number', '', '', 'call me', '', '', '', '', '', '']), // error
      storedCopy, // exact copy of a stored contact: input, no result
      row(['', '', '', 'Only Company Ltd', '', '214.555.0100', '', '', '', '', 'VIP; vip; Partners', '']), // groups deduplicated: another content key
      row(['', '😀 Emoji', 'שלום', '', '', '', '', '', '', '', '', '']),
    ];
    expect(storedCopy.result).toBeNull();
    expect(rows.some((r) => r.preparedKey !== undefined)).toBe(true);
    const packed = structuredClone(packRows(rows));
    // the common rows are packed, the others travel as objects
    expect(packed.objects.length).toBeGreaterThanOrEqual(4);
    expect(packed.objects.length).toBeLessThan(rows.length);
    expect(unpackRows(packed)).toEqual(rows);
  });

  it('packs an empty slice', () => {
    expect(unpackRows(packRows([]))).toEqual([]);
  });
});
