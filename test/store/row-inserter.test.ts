// Many rows to an INSERT (the import's numbers, groups, audit and change-log rows): every row
// lands, in order, whatever the count, with a handful of statement shapes per table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { RowInserter, StatementCache } from '../../src/store/sqlite/database.ts';

const dir = mkdtempSync(join(tmpdir(), 'dialbook-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RowInserter', () => {
  it('writes every row in order, for any count, with few statement shapes', () => {
    const db = new Database(join(dir, 'rows.sqlite'));
    db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, label TEXT, note TEXT) STRICT');
    const stmts = new StatementCache(db);
    const prepared = new Set<string>();
    const get = stmts.get.bind(stmts);
    stmts.get = (sql: string) => { prepared.add(sql); return get(sql); };
    let next = 1;
    for (const count of [0, 1, 2, 99, 100, 101, 127, 250, 1007]) {
      const ins = new RowInserter(stmts, 'INSERT INTO t (n, label, note)', 3);
      const from = next;
      for (let i = 0; i < count; i++, next++) ins.add(next, `row ${next}`, null);
      ins.flush();
      const rows = db.prepare('SELECT n, label, note FROM t WHERE n >= ? ORDER BY n').all(from) as { n: number; label: string; note: null }[];
      expect(rows.map((r) => r.n)).toEqual(Array.from({ length: count }, (_, i) => from + i));
      expect(rows.every((r) => r.label === `row ${r.n}` && r.note === null)).toBe(true);
    }
    // 100 rows a statement, the rest in powers of two: at most 8 shapes
    expect(prepared.size).toBeLessThanOrEqual(8);
    db.close();
  });
});
