// The contact row's and audit entry's statements (the columns are ../contact-columns.ts), and the
// statements a batch's new contacts (an import's rows) are written with. What every new contact of a batch shares
// (account, owner, actor, time, batch id) is written into those statements' SQL once per batch
// instead of being bound again on every row: binding a value costs about 0.2 µs, and these are
// 13 of a new contact's 33 bound values (a 100,000-row import writes a few µs a row faster).
import { compactFieldsJson } from '../audit-fields.ts';
import type Database from 'better-sqlite3';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import { CONTENT_COLUMNS, contactValues } from '../contact-columns.ts';
import { RowInserter, sqlLiteral, StatementCache, type Db, type RowShape } from './database.ts';

export const CONTACT_INSERT = `INSERT INTO contacts (id, account_id, source, user_id, ${CONTENT_COLUMNS.join(', ')},
  created_at, created_by, updated_at, updated_by, revision)`;

/** A contact's new values (contactValues, then updated_at, updated_by, id). */
export const CONTACT_UPDATE = `UPDATE contacts SET ${CONTENT_COLUMNS.map((c) => `${c}=?`).join(', ')},
  updated_at=?, updated_by=?, revision = revision + 1 WHERE id = ?`;

export const AUDIT_INSERT = 'INSERT INTO audit_log (account_id, at, actor, action, target_id, before, after, batch_id)';

/** What every new contact of one batch shares. */
export interface BatchContext {
  accountId: string;
  source: 'shared' | 'personal';
  userId: string | null;
  /** The actor's id (created_by, updated_by, the audit entry's actor). */
  by: string;
  at: string;
  batchId: string | null;
}

export class BatchInserts {
  private readonly contact: Database.Statement;
  private readonly auditShape: RowShape;
  /** This batch's statements (their SQL holds its values, so they are not for the shared cache). */
  private readonly stmts: StatementCache;

  constructor(db: Db, ctx: BatchContext) {
    const L = sqlLiteral;
    this.stmts = new StatementCache(db);
    this.contact = db.prepare(`${CONTACT_INSERT} VALUES (?, ${L(ctx.accountId)}, ${L(ctx.source)}, ${L(ctx.userId)},
      ${'?,'.repeat(CONTENT_COLUMNS.length)} ${L(ctx.at)}, ${L(ctx.by)}, ${L(ctx.at)}, ${L(ctx.by)}, 1)`);
    this.auditShape = { values: `(${L(ctx.accountId)}, ${L(ctx.at)}, ${L(ctx.by)}, 'contact.create', ?, NULL, ?, ${L(ctx.batchId)})`, params: 2 };
  }

  insertContact(id: string, c: PreparedContact): void {
    this.contact.run(id, ...contactValues(c));
  }

  /** The audit entries of new contacts (ids[i] is contacts[i]'s), many to a statement. */
  auditCreated(ids: string[], contacts: PreparedContact[]): void {
    const audit = new RowInserter(this.stmts, AUDIT_INSERT, this.auditShape);
    contacts.forEach((c, i) => audit.add(ids[i], c.fieldsJson ?? compactFieldsJson(c.fields)));
    audit.flush();
  }
}
