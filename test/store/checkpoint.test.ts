// The import thread opens its connection with deferred checkpoints: the commit leaves the pages in
// the write-ahead log and checkpoint(), run after the reply, copies them into the database file.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'dialbook-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const actor = { id: 'test' };
const creates = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({
  op: 'create' as const,
  contact: prepareContact({ firstName: `${tag} ${i}`, lastName: 'Checkpoint', company: 'Write-Ahead Logistics', workNumber: `+1 469 555 ${String(1000 + (i % 9000))}` }, 'US'),
}));

describe('checkpoints', () => {
  it('copies a deferred-checkpoint batch into the database file only when asked; a normal connection does so at commit', () => {
    for (const deferred of [true, false]) {
      const file = join(dir, `${deferred ? 'deferred' : 'normal'}.sqlite`);
      const server = openSqliteStore(file); // the server's connection stays open, as in production
      server.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      const importer = openSqliteStore(file, { deferCheckpoints: deferred });
      const before = statSync(file).size;
      const batch = importer.openBatch('acme', { source: 'shared' }, actor);
      batch.apply(creates(6000, 'Row'));
      batch.commit();
      const afterCommit = statSync(file).size;
      expect(server.countAccountContacts('acme')).toBe(6000); // committed and visible either way
      if (deferred) {
        expect(afterCommit).toBe(before);
        importer.checkpoint();
        expect(statSync(file).size).toBeGreaterThan(before + 1_000_000);
      } else {
        expect(afterCommit).toBeGreaterThan(before + 1_000_000);
      }
      importer.close();
      server.close();
    }
  });

  // A passive checkpoint copies but leaves the log file as large as it grew; TRUNCATE (what a
  // large import runs before answering) empties it, and says whether a reader kept it from that.
  it('empties the log file with checkpoint(truncate), which a passive checkpoint does not', () => {
    const file = join(dir, 'truncate.sqlite');
    const server = openSqliteStore(file);
    server.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
    const importer = openSqliteStore(file, { deferCheckpoints: true });
    const batch = importer.openBatch('acme', { source: 'shared' }, actor);
    batch.apply(creates(6000, 'Row'));
    batch.commit();
    const wal = () => statSync(`${file}-wal`).size;
    expect(wal()).toBeGreaterThan(1_000_000);
    expect(importer.checkpoint()).toBe(true);
    expect(wal()).toBeGreaterThan(1_000_000);
    expect(importer.checkpoint('truncate')).toBe(true);
    expect(wal()).toBe(0);
    expect(server.countAccountContacts('acme')).toBe(6000);
    importer.close();
    server.close();
  });
});
