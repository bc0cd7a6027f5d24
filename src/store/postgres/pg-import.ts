// An import's writes inside its one transaction (PgWrites.accountTx holds the account's revision
// lock from the first chunk to commit): new contacts go in through COPY, table by table, chunk
// by chunk as they arrive; updates and deletions are statements. Groups the rows name are found
// or made first, once per import.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Actor } from '../../domain/audit.ts';
import { contactFields } from '../../domain/contact-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import { reverse } from '../../domain/phone-number.ts';
import { groupKey } from '../../domain/text-fold.ts';
import type { BatchOp, BatchResult, WriteScope } from '../async-store.ts';
import { newId } from '../ids.ts';
import { CONTENT_COLUMNS, contactValues } from '../contact-columns.ts';
import { copyLine } from './pg-rows.ts';
import type { AccountTx, PgWrites } from './pg-writes.ts';

/** COPY text lines written to the server per stream chunk. */
const LINES_PER_WRITE = 500;

async function copyInto(client: pg.ClientBase, table: string, columns: readonly string[], lines: Iterable<string>): Promise<void> {
  const stream = client.query(copyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(batched(lines)), stream);
}

function* batched(lines: Iterable<string>): Generator<string> {
  let buf = '';
  let n = 0;
  for (const line of lines) {
    buf += line;
    if (++n === LINES_PER_WRITE) {
      yield buf;
      buf = '';
      n = 0;
    }
  }
  if (buf) yield buf;
}

export async function importInto(
  store: PgWrites, t: AccountTx, accountId: string, scope: WriteScope, chunks: AsyncIterable<BatchOp[]> | Iterable<BatchOp[]>, actor: Actor,
): Promise<{ result: BatchResult; total: number }> {
  const { client, at } = t;
  const result: BatchResult = { created: [], updated: [], deleted: [] };
  const groupIds = new Map<string, string>();
  const source = scope.source;
  const userId = scope.source === 'personal' ? scope.userId : null;
  const visibility = scope.source === 'shared' ? { shared: true, users: false, personalOf: null } : { shared: false, users: false, personalOf: scope.userId };

  for await (const ops of chunks) {
    const creates: PreparedContact[] = [];
    for (const op of ops) {
      if (op.op === 'create') {
        creates.push(op.contact);
        continue;
      }
      const before = await store.contactForWrite(client, accountId, visibility, op.id);
      if (op.op === 'update') {
        await store.updateRow(client, accountId, before, op.contact, actor.id, at, groupIds);
        await store.auditContact(client, accountId, scope, actor, 'contact.update', op.id, contactFields(before), op.contact.fields, at);
        result.updated.push(op.id);
      } else {
        await store.deleteRow(client, accountId, before);
        await store.auditContact(client, accountId, scope, actor, 'contact.delete', op.id, contactFields(before), null, at);
        result.deleted.push(op.id);
      }
    }
    if (creates.length === 0) continue;
    // Name order, as SQLite does: the name indexes grow at a few points instead of everywhere.
    creates.sort((a, b) => (a.search.sortKey < b.search.sortKey ? -1 : a.search.sortKey > b.search.sortKey ? 1 : 0));
    const ids = creates.map(() => newId());
    for (const c of creates) for (const g of c.fields.groups) await store.ensureGroup(client, accountId, g, groupIds);

    await copyInto(client, 'contacts', ['id', 'account_id', 'source', 'user_id', ...CONTENT_COLUMNS, 'created_at', 'created_by', 'updated_at', 'updated_by'],
      creates.map((c, i) => copyLine([ids[i], accountId, source, userId, ...contactValues(c), at, actor.id, at, actor.id])));
    await copyInto(client, 'contact_numbers', ['contact_id', 'account_id', 'kind', 'position', 'raw', 'e164', 'digits', 'digits_rev'],
      (function* () {
        for (let i = 0; i < creates.length; i++) {
          const nums = creates[i].numbers;
          for (let k = 0; k < nums.length; k++) yield copyLine([ids[i], accountId, nums[k].kind, k, nums[k].raw, nums[k].e164, nums[k].digits, reverse(nums[k].digits)]);
        }
      })());
    await copyInto(client, 'contact_words', ['account_id', 'word', 'contact_id'],
      (function* () { for (let i = 0; i < creates.length; i++) for (const w of creates[i].search.words) yield copyLine([accountId, w, ids[i]]); })());
    await copyInto(client, 'contact_groups', ['contact_id', 'group_id', 'position'],
      (function* () {
        for (let i = 0; i < creates.length; i++) {
          const groups = creates[i].fields.groups;
          for (let k = 0; k < groups.length; k++) yield copyLine([ids[i], groupIds.get(groupKey(groups[k]))!, k]);
        }
      })());
    // Personal contacts are not audited (PgWrites.auditContact says why).
    if (scope.source === 'shared') await copyInto(client, 'audit_log', ['account_id', 'at', 'actor', 'action', 'target_id', 'before', 'after', 'batch_id'],
      creates.map((c, i) => copyLine([accountId, at, actor.id, 'contact.create', ids[i], null, c.fieldsJson ?? JSON.stringify(c.fields), actor.batchId ?? null])));
    for (const id of ids) result.created.push(id); // not push(...ids): a spread of 100,000s overflows the stack
  }
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM contacts WHERE account_id = $1', [accountId]);
  return { result, total: Number(rows[0].n) };
}
