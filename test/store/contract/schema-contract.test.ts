// Both engines' migrated schemas have the same tables and the same columns (by name), but for
// the parts each engine keeps its own way, listed here with the reason: a migration added to one
// engine only fails this test until the other has it too (or the difference is written down).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresKind, sqliteKind, type Schema } from './stores.ts';

/** Tables and columns only one engine has. */
const ENGINE_OWN = {
  sqlite: {
    // the pruning floors (PostgreSQL: change_floor); change rows are one per contact under a global id, each of one book
    tables: ['store_meta'],
    columns: { change_log: ['id', 'contact_id', 'book'] },
  },
  postgres: {
    // the pruning floor per account; the migration record (SQLite: PRAGMA user_version)
    tables: ['change_floor', 'dialbook_schema'],
    // one change row per transaction listing its contacts and the books they are in; seq is SQLite's rowid (the stable reading order)
    columns: { change_log: ['changed', 'everything', 'books'], contacts: ['seq'] } as Record<string, string[]>,
  },
};

function withoutOwn(schema: Schema, own: { tables: string[]; columns: Record<string, string[]> }): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [table, columns] of schema) {
    if (own.tables.includes(table)) continue;
    out[table] = columns.filter((c) => !(own.columns[table] ?? []).includes(c)).sort();
  }
  return out;
}

const sqlite = sqliteKind();
const postgres = postgresKind();

describe.skipIf(!postgres.available())('store contract: both engines migrate to the same tables and columns', () => {
  beforeAll(async () => {
    await Promise.all([sqlite.setUp('schema'), postgres.setUp('schema')]);
    await Promise.all([sqlite.open(), postgres.open()]); // opening migrates
  });
  afterAll(async () => { await Promise.all([sqlite.tearDown(), postgres.tearDown()]); });

  it('has every table and column on both, but the documented engine-own parts', async () => {
    const [s, p] = await Promise.all([sqlite.schema(), postgres.schema()]);
    // the documented parts exist (a stale exception list would hide nothing)
    for (const t of ENGINE_OWN.sqlite.tables) expect(s.has(t), t).toBe(true);
    for (const t of ENGINE_OWN.postgres.tables) expect(p.has(t), t).toBe(true);
    for (const [t, cols] of Object.entries(ENGINE_OWN.postgres.columns)) expect(p.get(t)).toEqual(expect.arrayContaining(cols));
    for (const [t, cols] of Object.entries(ENGINE_OWN.sqlite.columns)) expect(s.get(t)).toEqual(expect.arrayContaining(cols));
    expect(withoutOwn(p, ENGINE_OWN.postgres)).toEqual(withoutOwn(s, ENGINE_OWN.sqlite));
  });
});
