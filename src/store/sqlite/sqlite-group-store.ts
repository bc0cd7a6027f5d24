// Groups and the audit log. Group names are unique in an account by their key (groupKey).
import { auditFields } from '../audit-fields.ts';
import { newId } from '../ids.ts';
import type { Actor, AuditEntry } from '../../domain/audit.ts';
import type { Group } from '../../domain/group-schemas.ts';
import { groupKey } from '../../domain/text-fold.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { now, type Db, type StatementCache } from './database.ts';
import type { SqliteContactWriter } from './sqlite-contact-writer.ts';

interface GroupRow { id: string; account_id: string; name: string; contact_count: number }
const toGroup = (r: GroupRow): Group => ({ id: r.id, accountId: r.account_id, name: r.name, contactCount: r.contact_count });
const GROUP_SELECT = `SELECT g.id, g.account_id, g.name, (SELECT count(*) FROM contact_groups cg WHERE cg.group_id = g.id) AS contact_count FROM groups g`;

export class SqliteGroupStore {
  constructor(private readonly db: Db, private readonly stmts: StatementCache, private readonly writer: SqliteContactWriter) {}

  list(accountId: string): Group[] {
    return (this.stmts.get(`${GROUP_SELECT} WHERE g.account_id = ? ORDER BY g.name_key`).all(accountId) as GroupRow[]).map(toGroup);
  }

  private get(accountId: string, id: string): Group {
    const row = this.stmts.get(`${GROUP_SELECT} WHERE g.account_id = ? AND g.id = ?`).get(accountId, id) as GroupRow | undefined;
    if (!row) throw new NotFoundError('Group');
    return toGroup(row);
  }

  private assertFree(accountId: string, name: string, exceptId: string | null): void {
    const row = this.stmts.get('SELECT id FROM groups WHERE account_id = ? AND name_key = ?').get(accountId, groupKey(name)) as { id: string } | undefined;
    if (row && row.id !== exceptId) throw new ConflictError(`A group named "${name}" already exists`, [{ field: 'name', value: name, reason: 'is taken' }]);
  }

  create(accountId: string, name: string, actor: Actor): Group {
    return this.db.transaction(() => {
      this.assertFree(accountId, name, null);
      const id = newId();
      this.stmts.get('INSERT INTO groups (id, account_id, name, name_key, created_at) VALUES (?,?,?,?,?)').run(id, accountId, name, groupKey(name), now());
      this.writer.audit(accountId, actor, 'group.create', id, null, { name });
      this.writer.bumpRevision(accountId);
      return this.get(accountId, id);
    })();
  }

  rename(accountId: string, id: string, name: string, actor: Actor): Group {
    return this.db.transaction(() => {
      const before = this.get(accountId, id);
      this.assertFree(accountId, name, id);
      this.stmts.get('UPDATE groups SET name = ?, name_key = ? WHERE id = ?').run(name, groupKey(name), id);
      this.writer.audit(accountId, actor, 'group.rename', id, { name: before.name }, { name });
      this.writer.bumpRevision(accountId);
      return this.get(accountId, id);
    })();
  }

  /** Contacts stay; they only leave the group. */
  delete(accountId: string, id: string, actor: Actor): void {
    this.db.transaction(() => {
      const before = this.get(accountId, id);
      this.stmts.get('DELETE FROM groups WHERE id = ?').run(id);
      this.writer.audit(accountId, actor, 'group.delete', id, { name: before.name, contactCount: before.contactCount }, null);
      this.writer.bumpRevision(accountId);
    })();
  }

  audit(accountId: string, opts: { limit: number; before?: number; contactId?: string }): AuditEntry[] {
    const rows = this.stmts.get(`SELECT * FROM audit_log WHERE account_id = ? AND id < ? AND (? IS NULL OR target_id = ?)
      ORDER BY id DESC LIMIT ?`).all(accountId, opts.before ?? Number.MAX_SAFE_INTEGER, opts.contactId ?? null, opts.contactId ?? null, opts.limit) as
      { id: number; account_id: string; at: string; actor: string; action: string; target_id: string | null; before: string | null; after: string | null; batch_id: string | null }[];
    return rows.map((r) => ({
      id: r.id, accountId: r.account_id, at: r.at, actor: r.actor, action: r.action as AuditEntry['action'],
      targetId: r.target_id, before: auditFields(r.action, r.before), after: auditFields(r.action, r.after),
      batchId: r.batch_id,
    }));
  }
}
