// Writing contacts: every write updates the derived search rows (numbers, words, groups), the
// audit log and the account revision in the same transaction as the contact itself.
import { newId } from '../ids.ts';
import type { Actor, AuditAction } from '../../domain/audit.ts';
import { contactFields, type Contact } from '../../domain/contact-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import { searchForms } from '../../domain/search-forms.ts';
import { reverse } from '../../domain/phone-number.ts';
import { groupKey } from '../../domain/text-fold.ts';
import { NotFoundError, PreconditionFailedError } from '../../errors.ts';
import type { BatchOp, BatchResult, OpenBatch, WriteScope } from '../store.ts';
import { now, refreshStatistics, RowInserter, type Db, type StatementCache } from './database.ts';
import { contactValues } from '../contact-columns.ts';
import { PackedIds } from './packed-ids.ts';
import { AUDIT_INSERT, BatchInserts, CONTACT_INSERT, CONTACT_UPDATE } from './sqlite-batch-inserts.ts';
import type { SqliteContactReader } from './sqlite-contact-reader.ts';
import { bookOfContact, bookOfScope } from '../feed-books.ts';

const LARGE_BATCH = 1000;

/** A contact row as written: the prepared fields plus where it belongs. */
export interface ContactWrite {
  id: string;
  source: 'shared' | 'personal' | 'user';
  userId: string | null;
  contact: PreparedContact;
}

export class SqliteContactWriter {
  constructor(
    private readonly db: Db,
    private readonly stmts: StatementCache,
    private readonly reader: SqliteContactReader,
  ) {}

  create(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor): Contact {
    return this.db.transaction(() => {
      const id = newId();
      this.insertRow(accountId, { id, ...owner(scope), contact }, actor.id, now());
      this.saveVcard(accountId, id, contact);
      this.auditContact(accountId, scope, actor, 'contact.create', id, null, contact.fields);
      this.bumpRevision(accountId);
      return this.reader.getForWrite(accountId, scope, id);
    })();
  }

  update(accountId: string, scope: WriteScope, id: string, contact: PreparedContact, actor: Actor, expectedRevision?: number): Contact {
    return this.db.transaction(() => {
      const before = this.reader.getForWrite(accountId, scope, id);
      if (expectedRevision !== undefined && before.revision !== expectedRevision) throw new PreconditionFailedError();
      this.updateRow(accountId, before, contact, actor.id);
      this.saveVcard(accountId, id, contact);
      this.auditContact(accountId, scope, actor, 'contact.update', id, contactFields(before), contact.fields);
      this.bumpRevision(accountId);
      return this.reader.getForWrite(accountId, scope, id);
    })();
  }

  delete(accountId: string, scope: WriteScope, id: string, actor: Actor, expectedRevision?: number): void {
    this.db.transaction(() => {
      const before = this.reader.getForWrite(accountId, scope, id);
      if (expectedRevision !== undefined && before.revision !== expectedRevision) throw new PreconditionFailedError();
      this.deleteRow(accountId, before);
      this.auditContact(accountId, scope, actor, 'contact.delete', id, contactFields(before), null);
      this.bumpRevision(accountId);
    })();
  }

  batch(accountId: string, scope: WriteScope, ops: BatchOp[], actor: Actor): BatchResult {
    const state = this.batchState();
    const result = this.db.transaction(() => {
      this.applyOps(accountId, scope, actor, state, ops);
      this.logCreated(accountId, scope, state.created);
      if (ops.length > 0) this.bumpRevision(accountId);
      return { ...state.result, created: state.created.toArray() };
    })();
    if (ops.length >= LARGE_BATCH) refreshStatistics(this.db);
    return result;
  }

  /** A batch in steps, in one transaction begun now (see OpenBatch in store.ts). */
  open(accountId: string, scope: WriteScope, actor: Actor): OpenBatch {
    if (this.db.inTransaction) throw new Error('openBatch: this connection is already in a transaction');
    // Foreign keys are not checked while the batch runs (they cost 7 of 60 µs a new contact):
    // every row it writes points at the account checked below, a contact it just created or a
    // group it found or created, and deleteRow removes a contact's rows itself. The setting is
    // per connection and can only change outside a transaction; it is back on at the end.
    this.db.pragma('foreign_keys = OFF');
    let open = false;
    const end = (sql: 'COMMIT' | 'ROLLBACK') => {
      open = false;
      try {
        if (this.db.inTransaction) this.db.exec(sql);
      } finally {
        this.db.pragma('foreign_keys = ON');
      }
    };
    try {
      this.db.exec('BEGIN IMMEDIATE');
      open = true;
      if (!this.stmts.get('SELECT 1 FROM accounts WHERE id = ?').get(accountId)) throw new NotFoundError('Account');
    } catch (err) {
      end('ROLLBACK');
      throw err;
    }
    const state = this.batchState();
    let written = 0;
    const ensureOpen = () => { if (!open) throw new Error('the batch is already committed or rolled back'); };
    return {
      apply: (ops) => {
        ensureOpen();
        this.applyOps(accountId, scope, actor, state, ops);
        written += ops.length;
      },
      commit: () => {
        ensureOpen();
        this.logCreated(accountId, scope, state.created);
        if (written > 0) this.bumpRevision(accountId);
        end('COMMIT');
        if (written >= LARGE_BATCH) refreshStatistics(this.db);
        return withCreated(state);
      },
      rollback: () => {
        if (open) end('ROLLBACK');
      },
    };
  }

  private batchState(): BatchState {
    return { result: { updated: [], deleted: [] }, created: new PackedIds(), at: now(), groupIds: new Map(), inserts: null };
  }

  private applyOps(accountId: string, scope: WriteScope, actor: Actor, state: BatchState, ops: BatchOp[]): void {
    const { result, created, at, groupIds } = state;
    const creates: PreparedContact[] = [];
    for (const op of ops) {
      if (op.op === 'create') {
        creates.push(op.contact);
      } else if (op.op === 'update') {
        const before = this.reader.getForWrite(accountId, scope, op.id);
        this.updateRow(accountId, before, op.contact, actor.id, groupIds);
        this.auditContact(accountId, scope, actor, 'contact.update', op.id, contactFields(before), op.contact.fields, at);
        result.updated.push(op.id);
      } else {
        const before = this.reader.getForWrite(accountId, scope, op.id);
        this.deleteRow(accountId, before);
        this.auditContact(accountId, scope, actor, 'contact.delete', op.id, contactFields(before), null, at);
        result.deleted.push(op.id);
      }
    }
    if (creates.length === 0) return;
    // New contacts go in in name order: the name indexes then grow at a few points instead of
    // everywhere (a 100k-row import writes 15% faster). Their ids still rise in insert order.
    creates.sort((a, b) => (a.search.sortKey < b.search.sortKey ? -1 : a.search.sortKey > b.search.sortKey ? 1 : 0));
    // One table at a time, many rows to an INSERT: each B-tree stays in the CPU's caches while
    // its rows go in (a 100k-row import writes a few per cent faster than contact by contact).
    const inserts = (state.inserts ??= new BatchInserts(this.db, { accountId, ...owner(scope), by: actor.id, at, batchId: actor.batchId ?? null }));
    const ids = creates.map((contact) => {
      const id = newId();
      inserts.insertContact(id, contact);
      return id;
    });
    this.writeDerived(accountId, ids, creates, groupIds);
    if (scope.source === 'shared') inserts.auditCreated(ids, creates);
    for (const id of ids) created.push(id);
  }

  /** Inserts a contact row, its derived rows and its change-feed entry. Callers run it inside a transaction. */
  insertRow(accountId: string, w: ContactWrite, by: string, at: string): void {
    this.insertContactRow(accountId, w, by, at);
    this.writeDerived(accountId, [w.id], [w.contact]);
    // no insert trigger (migration 5): the change feed learns of the new contact here
    this.stmts.get('INSERT INTO change_log (account_id, contact_id, book) VALUES (?, ?, ?)').run(accountId, w.id, bookOfContact(w.source, w.userId));
  }

  /** The contact row alone (derived rows and the change-feed entry are the caller's). */
  private insertContactRow(accountId: string, w: ContactWrite, by: string, at: string): void {
    this.stmts.get(`${CONTACT_INSERT} VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)`)
      .run(w.id, accountId, w.source, w.userId, ...contactValues(w.contact), at, by, at, by);
  }

  /**
   * The change-feed entries of a batch's new contacts. When they are at least half of the account
   * (a big import), one entry says that every entry of the account changed: readers start over
   * (the read model rebuilds, which it would for so many changes anyway; a CardDAV app syncs the
   * book afresh, at most twice what it would fetch change by change), and the import writes three
   * B-tree entries less per contact. Otherwise one entry per contact, many to a statement. Either
   * names the batch's book: other books' sync tokens do not move (migration 12).
   */
  private logCreated(accountId: string, scope: WriteScope, created: PackedIds): void {
    if (created.length === 0) return;
    const book = bookOfScope(scope);
    if (created.length >= LARGE_BATCH) {
      const { n } = this.stmts.get('SELECT count(*) AS n FROM contacts WHERE account_id = ?').get(accountId) as { n: number };
      if (created.length * 2 >= n) {
        this.stmts.get('INSERT INTO change_log (account_id, contact_id, book) VALUES (?, NULL, ?)').run(accountId, book);
        return;
      }
    }
    const log = new RowInserter(this.stmts, 'INSERT INTO change_log (account_id, contact_id, book)', 3);
    for (const id of created) log.add(accountId, id, book);
    log.flush();
  }

  updateRow(accountId: string, before: NamedRow, contact: PreparedContact, by: string, groupIds?: Map<string, string>): void {
    const id = before.id;
    this.stmts.get(CONTACT_UPDATE).run(...contactValues(contact), now(), by, id);
    this.stmts.get('DELETE FROM contact_numbers WHERE contact_id = ?').run(id);
    this.removeWords(accountId, before);
    this.stmts.get('DELETE FROM contact_groups WHERE contact_id = ?').run(id);
    this.writeDerived(accountId, [id], [contact], groupIds);
  }

  /** Deletes a contact and its rows (itself, not by cascade: an open batch runs without foreign keys). */
  deleteRow(accountId: string, before: NamedRow): void {
    this.removeWords(accountId, before);
    this.stmts.get('DELETE FROM contact_numbers WHERE contact_id = ?').run(before.id);
    this.stmts.get('DELETE FROM contact_groups WHERE contact_id = ?').run(before.id);
    this.stmts.get('DELETE FROM contact_vcards WHERE contact_id = ?').run(before.id);
    this.stmts.get('DELETE FROM contacts WHERE id = ?').run(before.id);
  }

  /** The app's vCard, when the write carries one (CardDAV); other writes keep the stored one. */
  private saveVcard(accountId: string, id: string, contact: PreparedContact): void {
    if (contact.vcard === undefined) return;
    this.stmts.get('INSERT INTO contact_vcards (contact_id, account_id, vcard) VALUES (?,?,?) ON CONFLICT (contact_id) DO UPDATE SET vcard = excluded.vcard')
      .run(id, accountId, contact.vcard);
  }

  removeWords(accountId: string, c: NamedRow): void {
    const del = this.stmts.get('DELETE FROM contact_words WHERE account_id = ? AND word = ? AND contact_id = ?');
    for (const w of searchForms({ ...c, title: '', email: '' }).words) del.run(accountId, w, c.id);
  }

  /** The names of a stored contact row (to find its words). */
  namesOf(id: string): NamedRow | null {
    return (this.stmts.get('SELECT id, first_name AS firstName, last_name AS lastName, company FROM contacts WHERE id = ?').get(id) as NamedRow | undefined) ?? null;
  }

  /** The numbers, words and group memberships of contacts just written (ids[i] is contacts[i]'s), table by table. */
  private writeDerived(accountId: string, ids: string[], contacts: PreparedContact[], groupIds?: Map<string, string>): void {
    // OR FAIL: a many-row INSERT that could stop half-way (on a constraint) makes SQLite copy every
    // page it touches to a statement journal first, so that it can undo its own rows; the caller's
    // transaction undoes everything on any error anyway. A number lands at a random place of
    // numbers_tail, so that copy was ~2 µs of each imported contact's 10 µs of numbers.
    const numbers = new RowInserter(this.stmts, 'INSERT OR FAIL INTO contact_numbers (contact_id, account_id, kind, position, raw, e164, digits, digits_rev)', 8);
    contacts.forEach((c, i) => c.numbers.forEach((n, k) => numbers.add(ids[i], accountId, n.kind, k, n.raw, n.e164, n.digits, reverse(n.digits))));
    numbers.flush();
    const words = new RowInserter(this.stmts, 'INSERT OR IGNORE INTO contact_words (account_id, word, contact_id)', 3);
    contacts.forEach((c, i) => c.search.words.forEach((w) => words.add(accountId, w, ids[i])));
    words.flush();
    const groups = new RowInserter(this.stmts, 'INSERT OR IGNORE INTO contact_groups (contact_id, group_id, position)', 3);
    contacts.forEach((c, i) => c.fields.groups.forEach((name, k) => groups.add(ids[i], this.ensureGroup(accountId, name, groupIds), k)));
    groups.flush();
  }

  /** Groups named on a contact are created when they do not exist yet (as the spreadsheet expects). */
  ensureGroup(accountId: string, name: string, cache?: Map<string, string>): string {
    const key = groupKey(name);
    const cached = cache?.get(key);
    if (cached) return cached;
    const row = this.stmts.get('SELECT id FROM groups WHERE account_id = ? AND name_key = ?').get(accountId, key) as { id: string } | undefined;
    let id = row?.id;
    if (!id) {
      id = newId();
      this.stmts.get('INSERT INTO groups (id, account_id, name, name_key, created_at) VALUES (?,?,?,?,?)').run(id, accountId, name, key, now());
    }
    cache?.set(key, id);
    return id;
  }

  audit(accountId: string, actor: Actor, action: AuditAction, targetId: string | null, before: unknown, after: unknown, at = now()): void {
    this.stmts.get(`${AUDIT_INSERT} VALUES (?,?,?,?,?,?,?,?)`).run(
      accountId, at, actor.id, action, targetId,
      before === null ? null : JSON.stringify(before), after === null ? null : JSON.stringify(after), actor.batchId ?? null,
    );
  }

  /** A user's personal contacts are theirs alone: the account's change history (which managers
   *  read) records writes to shared contacts only, never a personal contact's fields. */
  private auditContact(accountId: string, scope: WriteScope, actor: Actor, action: AuditAction, targetId: string, before: unknown, after: unknown, at = now()): void {
    if (scope.source === 'shared') this.audit(accountId, actor, action, targetId, before, after, at);
  }

  bumpRevision(accountId: string): void {
    this.stmts.get('UPDATE accounts SET revision = revision + 1, updated_at = ? WHERE id = ?').run(now(), accountId);
  }
}

/** What a batch carries from one step to the next. */
interface BatchState {
  result: Omit<BatchResult, 'created'>;
  /** The batch's new contacts (a million-row import's: see packed-ids.ts). */
  created: PackedIds;
  at: string;
  /** Group ids by group key (groupKey), so each group is looked up once per batch. */
  groupIds: Map<string, string>;
  /** The statements for the batch's new contacts, made at its first. */
  inserts: BatchInserts | null;
}

/** What the writer needs of a stored contact to replace or delete its derived rows. */
export interface NamedRow { id: string; firstName: string; lastName: string; company: string }

function owner(scope: WriteScope): { source: 'shared' | 'personal'; userId: string | null } {
  return scope.source === 'shared' ? { source: 'shared', userId: null } : { source: 'personal', userId: scope.userId };
}

/**
 * An open batch's result: its created ids are listed when read (an import never reads them; a
 * million of them as strings were 64 MB), once.
 */
function withCreated(state: BatchState): BatchResult {
  let created: string[] | null = null;
  return Object.defineProperty({ ...state.result }, 'created', {
    enumerable: true,
    get: () => (created ??= state.created.toArray()),
  }) as BatchResult;
}
