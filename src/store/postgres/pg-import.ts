// An import's writes inside its one transaction (PgWrites.accountTx holds the account's revision
// lock from the first chunk to commit): new contacts go in through COPY, table by table, chunk
// by chunk as they arrive; updates and deletions are statements. Groups the rows name are found
// or made first, once per import.
//
// Two stages overlap: while the connection writes chunk k (the server parses the rows and
// maintains the tables' indexes and foreign keys), this thread already takes chunk k+1 from
// the source (in an import: the planner's work on the next slice) and encodes its rows. One
// chunk ahead at most, so memory stays bounded by two chunks.
import { compactFieldsJson } from '../audit-fields.ts';
import type pg from 'pg';
import type { Actor } from '../../domain/audit.ts';
import { contactFields } from '../../domain/contact-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import { reverse } from '../../domain/phone-number.ts';
import { groupKey } from '../../domain/text-fold.ts';
import type { BatchOp, BatchResult, WriteScope } from '../async-store.ts';
import { newId } from '../ids.ts';
import { CONTENT_COLUMNS, contactValues } from '../contact-columns.ts';
import { CopyRows, copyRows } from './pg-copy.ts';
import type { AccountTx, PgWrites } from './pg-writes.ts';

const CONTACT_COLUMNS = ['id', 'account_id', 'source', 'user_id', ...CONTENT_COLUMNS, 'created_at', 'created_by', 'updated_at', 'updated_by'];
const NUMBER_COLUMNS = ['contact_id', 'account_id', 'kind', 'position', 'raw', 'e164', 'digits', 'digits_rev'];
const WORD_COLUMNS = ['account_id', 'word', 'contact_id'];
const GROUP_COLUMNS = ['contact_id', 'group_id', 'position'];
const AUDIT_COLUMNS = ['account_id', 'at', 'actor', 'action', 'target_id', 'before', 'after', 'batch_id'];

/** What is the same for every row of the import. */
interface ImportContext {
  accountId: string;
  scope: WriteScope;
  actor: Actor;
  at: string;
}

/** A chunk made ready without the connection: its other ops, its new contacts in name order with their ids, their rows encoded. */
interface ReadyChunk {
  others: BatchOp[];
  creates: PreparedContact[];
  ids: string[];
  contacts: CopyRows;
  numbers: CopyRows;
  words: CopyRows;
  /** null: personal contacts are not audited (PgWrites.auditContact says why). */
  audit: CopyRows | null;
}

function readyChunk(ops: BatchOp[], x: ImportContext): ReadyChunk {
  const others: BatchOp[] = [];
  const creates: PreparedContact[] = [];
  for (const op of ops) {
    if (op.op === 'create') creates.push(op.contact);
    else others.push(op);
  }
  // Name order, as SQLite does: the name indexes grow at a few points instead of everywhere.
  creates.sort((a, b) => (a.search.sortKey < b.search.sortKey ? -1 : a.search.sortKey > b.search.sortKey ? 1 : 0));
  const ids = creates.map(() => newId());
  const { accountId, scope, actor, at } = x;
  const source = scope.source;
  const userId = scope.source === 'personal' ? scope.userId : null;
  const contacts = new CopyRows();
  const numbers = new CopyRows();
  const words = new CopyRows();
  const audit = scope.source === 'shared' ? new CopyRows() : null;
  for (let i = 0; i < creates.length; i++) {
    const c = creates[i];
    const id = ids[i];
    contacts.field(id); contacts.field(accountId); contacts.field(source); contacts.field(userId);
    for (const v of contactValues(c)) contacts.field(v);
    contacts.field(at); contacts.field(actor.id); contacts.field(at); contacts.field(actor.id);
    contacts.endRow();
    const nums = c.numbers;
    for (let k = 0; k < nums.length; k++) {
      const n = nums[k];
      numbers.field(id); numbers.field(accountId); numbers.field(n.kind); numbers.field(k);
      numbers.field(n.raw); numbers.field(n.e164); numbers.field(n.digits); numbers.field(reverse(n.digits));
      numbers.endRow();
    }
    for (const w of c.search.words) {
      words.field(accountId); words.field(w); words.field(id);
      words.endRow();
    }
    if (audit) {
      audit.field(accountId); audit.field(at); audit.field(actor.id); audit.field('contact.create'); audit.field(id);
      audit.field(null); audit.field(c.fieldsJson ?? compactFieldsJson(c.fields)); audit.field(actor.batchId ?? null);
      audit.endRow();
    }
  }
  return { others, creates, ids, contacts, numbers, words, audit };
}

/** Writes a ready chunk on the transaction's connection: its updates and deletions in order, then its new contacts. */
async function writeChunk(store: PgWrites, client: pg.ClientBase, chunk: ReadyChunk, x: ImportContext, groupIds: Map<string, string>, result: BatchResult): Promise<void> {
  const { accountId, scope, actor, at } = x;
  const visibility = scope.source === 'shared' ? { shared: true, users: false, personalOf: null } : { shared: false, users: false, personalOf: scope.userId };
  for (const op of chunk.others) {
    if (op.op === 'create') continue;
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
  const { creates, ids } = chunk;
  if (creates.length === 0) return;
  // Group ids come from the connection (found or made), so these rows are encoded here.
  const groups = new CopyRows();
  for (let i = 0; i < creates.length; i++) {
    const names = creates[i].fields.groups;
    for (let k = 0; k < names.length; k++) {
      groups.field(ids[i]); groups.field(await store.ensureGroup(client, accountId, names[k], groupIds)); groups.field(k);
      groups.endRow();
    }
  }
  await copyRows(client, 'contacts', CONTACT_COLUMNS, chunk.contacts);
  await copyRows(client, 'contact_numbers', NUMBER_COLUMNS, chunk.numbers);
  await copyRows(client, 'contact_words', WORD_COLUMNS, chunk.words);
  await copyRows(client, 'contact_groups', GROUP_COLUMNS, groups);
  if (chunk.audit) await copyRows(client, 'audit_log', AUDIT_COLUMNS, chunk.audit);
  for (const id of ids) result.created.push(id); // not push(...ids): a spread of 100,000s overflows the stack
}

export async function importInto(
  store: PgWrites, t: AccountTx, accountId: string, scope: WriteScope, chunks: AsyncIterable<BatchOp[]> | Iterable<BatchOp[]>, actor: Actor,
): Promise<{ result: BatchResult; total: number }> {
  const { client, at } = t;
  const x: ImportContext = { accountId, scope, actor, at };
  const result: BatchResult = { created: [], updated: [], deleted: [] };
  const groupIds = new Map<string, string>();
  const source: AsyncIterator<BatchOp[]> | Iterator<BatchOp[]> = Symbol.asyncIterator in chunks
    ? (chunks as AsyncIterable<BatchOp[]>)[Symbol.asyncIterator]()
    : (chunks as Iterable<BatchOp[]>)[Symbol.iterator]();
  const take = async (): Promise<ReadyChunk | null> => {
    const step = await source.next();
    return step.done ? null : readyChunk(step.value, x);
  };

  let ahead = take();
  for (;;) {
    const chunk = await ahead;
    if (!chunk) break;
    ahead = take();
    // A failure of the next chunk surfaces when it is awaited, after this one's write; one of this
    // write wins, and the rejection of the chunk ahead must not go unhandled meanwhile.
    ahead.catch(() => {});
    try {
      await writeChunk(store, client, chunk, x, groupIds, result);
    } catch (err) {
      // The source is told to stop (not awaited: it may be waiting for rows it will never send).
      void Promise.resolve(source.return?.()).catch(() => {});
      throw err;
    }
  }
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM contacts WHERE account_id = $1', [accountId]);
  return { result, total: Number(rows[0].n) };
}
