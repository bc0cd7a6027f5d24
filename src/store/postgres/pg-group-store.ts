// Groups on PostgreSQL: names unique in an account by their key (groupKey: case and accents); a
// rename or deletion is a change of every member (their entries show group names), so the feed
// reports the members.
import { bookOfContact, type FeedBook } from '../feed-books.ts';
import type { ContactSource } from '../../domain/contact-schemas.ts';
import type pg from 'pg';
import type { Actor } from '../../domain/audit.ts';
import type { Group } from '../../domain/group-schemas.ts';
import { groupKey } from '../../domain/text-fold.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { newId } from '../ids.ts';
import type { PgWrites } from './pg-writes.ts';

export class PgGroupStore {
  constructor(private readonly store: PgWrites, private readonly pool: pg.Pool) {}

  async list(accountId: string): Promise<Group[]> {
    const { rows } = await this.pool.query<{ id: string; account_id: string; name: string; n: string }>(
      `SELECT g.id, g.account_id, g.name, (SELECT count(*) FROM contact_groups cg WHERE cg.group_id = g.id) AS n
       FROM groups g WHERE g.account_id = $1 ORDER BY g.name_key`, [accountId]);
    return rows.map((r) => ({ id: r.id, accountId: r.account_id, name: r.name, contactCount: Number(r.n) }));
  }

  private async groupOn(c: pg.ClientBase, accountId: string, id: string): Promise<Group> {
    const { rows } = await c.query<{ id: string; account_id: string; name: string; n: string }>(
      'SELECT g.id, g.account_id, g.name, (SELECT count(*) FROM contact_groups cg WHERE cg.group_id = g.id) AS n FROM groups g WHERE g.account_id = $1 AND g.id = $2', [accountId, id]);
    if (!rows[0]) throw new NotFoundError('Group');
    return { id: rows[0].id, accountId: rows[0].account_id, name: rows[0].name, contactCount: Number(rows[0].n) };
  }

  private async assertFree(c: pg.ClientBase, accountId: string, name: string, exceptId: string | null): Promise<void> {
    const { rows } = await c.query<{ id: string }>('SELECT id FROM groups WHERE account_id = $1 AND name_key = $2', [accountId, groupKey(name)]);
    if (rows[0] && rows[0].id !== exceptId) throw new ConflictError(`A group named "${name}" already exists`, [{ field: 'name', value: name, reason: 'is taken' }]);
  }

  async create(accountId: string, name: string, actor: Actor): Promise<Group> {
    return this.store.accountTx(accountId, async ({ client, at }) => {
      await this.assertFree(client, accountId, name, null);
      const id = newId();
      await client.query('INSERT INTO groups (id, account_id, name, name_key, created_at) VALUES ($1,$2,$3,$4,$5)', [id, accountId, name, groupKey(name), at]);
      await this.store.audit(client, accountId, actor, 'group.create', id, null, { name }, at);
      return { result: await this.groupOn(client, accountId, id), feed: null };
    });
  }

  async rename(accountId: string, id: string, name: string, actor: Actor): Promise<Group> {
    return this.store.accountTx(accountId, async ({ client, at }) => {
      const before = await this.groupOn(client, accountId, id);
      await this.assertFree(client, accountId, name, id);
      await client.query('UPDATE groups SET name = $2, name_key = $3 WHERE id = $1', [id, name, groupKey(name)]);
      await this.store.audit(client, accountId, actor, 'group.rename', id, { name: before.name }, { name }, at);
      const members = (await client.query<{ contact_id: string }>('SELECT contact_id FROM contact_groups WHERE group_id = $1', [id])).rows.map((r) => r.contact_id);
      return { result: await this.groupOn(client, accountId, id), feed: { changed: members, deleted: [], books: await booksOfContacts(client, accountId, members) } };
    });
  }

  async delete(accountId: string, id: string, actor: Actor): Promise<void> {
    await this.store.accountTx(accountId, async ({ client, at }) => {
      const before = await this.groupOn(client, accountId, id);
      const members = (await client.query<{ contact_id: string }>('SELECT contact_id FROM contact_groups WHERE group_id = $1', [id])).rows.map((r) => r.contact_id);
      await client.query('DELETE FROM groups WHERE id = $1', [id]);
      await this.store.audit(client, accountId, actor, 'group.delete', id, { name: before.name, contactCount: before.contactCount }, null, at);
      return { result: undefined, feed: { changed: members, deleted: [], books: await booksOfContacts(client, accountId, members) } };
    });
  }
}

/** The address books the group's members are in: their sync tokens move, no other book's. */
async function booksOfContacts(c: pg.ClientBase, accountId: string, ids: string[]): Promise<FeedBook[]> {
  if (ids.length === 0) return [];
  const { rows } = await c.query<{ source: ContactSource; user_id: string | null }>(
    'SELECT DISTINCT source, user_id FROM contacts WHERE account_id = $1 AND id = ANY($2)', [accountId, ids]);
  return rows.map((r) => bookOfContact(r.source, r.user_id));
}
