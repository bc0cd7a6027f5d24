// The import's COPY encoder (src/store/postgres/pg-copy.ts) against a real PostgreSQL: whatever
// values go in come back the same, through both ways a value is written (short plain ASCII
// copied a character at a time, anything else through Buffer.write with escapes).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyRows, copyRows } from '../../src/store/postgres/pg-copy.ts';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const VALUES: (string | null)[] = [
  'plain', '', null, '019a2b3c-4d5e-7f00-8abc-0123456789ab', '+14692001234',
  'tab\there', 'line\nbreak', 'carriage\rreturn', 'back\\slash', '\\N', 'N',
  'Álvarez Soto', 'Ærøskøbing', '東京都', 'emoji 😀 at the end', 'ends with backslash \\',
  'x'.repeat(64), 'y'.repeat(65), `${'z'.repeat(70)}\t${'é'.repeat(10)}`, 'a'.repeat(300_000),
];

describe.skipIf(!requirePostgres())('COPY rows encoder (PostgreSQL)', () => {
  let server: TestPostgres;
  let client: pg.Client;
  beforeAll(async () => {
    server = await startPostgres();
    client = new pg.Client({ connectionString: await server.createDatabase('pg_copy') });
    await client.connect();
    await client.query('CREATE TABLE t (i integer, v text, n integer)');
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  it('writes every value so that it reads back the same, NULL as NULL, across several buffers', async () => {
    const rows = new CopyRows();
    for (let i = 0; i < VALUES.length; i++) {
      rows.field(i); rows.field(VALUES[i]); rows.field(i * 7);
      rows.endRow();
    }
    await copyRows(client, 't', ['i', 'v', 'n'], rows);
    const back = await client.query<{ i: number; v: string | null; n: number }>('SELECT i, v, n FROM t ORDER BY i');
    expect(back.rows.map((r) => r.v)).toEqual(VALUES);
    expect(back.rows.map((r) => r.n)).toEqual(VALUES.map((_, i) => i * 7));
  });
});
