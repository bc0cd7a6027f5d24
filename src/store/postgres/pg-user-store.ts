// Users on PostgreSQL, each mirrored as a directory entry (a contact with source 'user', id = the
// user's id) in the same transaction, as the SQLite store does: phones find colleagues with the
// same indexed searches as shared contacts, and the change feed reports the entry like any other.
// Every write goes through the store's accountTx (the account's revision first, under its row lock).
import { personalBook, USERS_BOOK } from '../feed-books.ts';
import type pg from 'pg';
import type { Actor } from '../../domain/audit.ts';
import { prepareUserEntry } from '../../domain/user-entry.ts';
import type { User, UserCreate, UserPatch } from '../../domain/user-schemas.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { newId } from '../ids.ts';
import type { CredentialRevocation } from '../store.ts';
import { userFromRow, type UserRow } from '../user-records.ts';
import type { PgWrites } from './pg-writes.ts';

type UserWrite = Omit<UserCreate, 'password'> & { passwordHash?: string | null };
type UserUpdate = Omit<UserPatch, 'password'> & { passwordHash?: string | null };

const USERS_ONLY = { shared: false, users: true, personalOf: null };

export class PgUserStore {
  constructor(private readonly store: PgWrites, private readonly pool: pg.Pool) {}

  create(accountId: string, input: UserWrite, actor: Actor): Promise<User> {
    return this.store.accountTx(accountId, async ({ client, at }) => {
      const taken = await client.query('SELECT 1 FROM users WHERE account_id = $1 AND username = $2', [accountId, input.username]);
      if (taken.rows.length > 0) {
        throw new ConflictError(`Username "${input.username}" is taken in this account`, [{ field: 'username', value: input.username, reason: 'is taken' }]);
      }
      const id = newId();
      await client.query(`INSERT INTO users (id, account_id, username, name, scope, extension, direct_number, email, password_hash, created_at, updated_at)
        VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10)`, [id, accountId, input.username, input.name, input.scope, input.extension ?? '',
        input.directNumber ?? '', input.email ?? '', input.passwordHash ?? null, at]);
      const user = (await this.getOn(client, accountId, id))!;
      const entry = prepareUserEntry(user, await this.store.regionOn(client, accountId));
      await this.store.insertContact(client, accountId, id, 'user', id, entry, actor.id, at, new Map());
      await this.store.audit(client, accountId, actor, 'user.create', id, null, user, at);
      return { result: user, feed: { changed: [id], deleted: [], books: [USERS_BOOK] } };
    });
  }

  get(accountId: string, id: string): Promise<User | null> {
    return this.getOn(this.pool, accountId, id);
  }

  private async getOn(db: pg.ClientBase | pg.Pool, accountId: string, id: string): Promise<User | null> {
    const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE account_id = $1 AND id = $2', [accountId, id]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async findByLogin(accountId: string, login: string): Promise<(User & { passwordHash: string | null }) | null> {
    const l = login.trim().toLowerCase();
    const { rows } = await this.pool.query<UserRow>(
      `SELECT * FROM users WHERE account_id = $1 AND (username = $2 OR (email <> '' AND lower(email) = $2)) ORDER BY (username = $2) DESC LIMIT 1`, [accountId, l]);
    return rows[0] ? { ...userFromRow(rows[0]), passwordHash: rows[0].password_hash } : null;
  }

  async list(accountId: string): Promise<User[]> {
    // COLLATE "C": the order SQLite gives (bytewise), whatever the database's locale.
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE account_id = $1 ORDER BY name COLLATE "C", username COLLATE "C"', [accountId]);
    return rows.map(userFromRow);
  }

  update(accountId: string, id: string, patch: UserUpdate, actor: Actor, revoke?: CredentialRevocation): Promise<User> {
    return this.store.accountTx(accountId, async ({ client, at }) => {
      const { rows } = await client.query<UserRow>('SELECT * FROM users WHERE account_id = $1 AND id = $2', [accountId, id]);
      if (!rows[0]) throw new NotFoundError('User');
      const before = userFromRow(rows[0]);
      const hash = patch.passwordHash !== undefined ? patch.passwordHash : rows[0].password_hash;
      await client.query('UPDATE users SET name=$2, scope=$3, extension=$4, direct_number=$5, email=$6, password_hash=$7, updated_at=$8 WHERE id=$1', [
        id, patch.name ?? before.name, patch.scope ?? before.scope, patch.extension ?? before.extension,
        patch.directNumber ?? before.directNumber, patch.email ?? before.email, hash, at,
      ]);
      const after = (await this.getOn(client, accountId, id))!;
      const entry = await this.store.contactOn(client, accountId, id, USERS_ONLY);
      if (entry) await this.store.updateRow(client, accountId, entry, prepareUserEntry(after, await this.store.regionOn(client, accountId)), actor.id, at, new Map());
      await this.store.audit(client, accountId, actor, 'user.update', id, before, after, at);
      if (revoke) await revokeCredentials(client, accountId, id, revoke);
      return { result: after, feed: { changed: entry ? [id] : [], deleted: [], books: [USERS_BOOK] } };
    });
  }

  async delete(accountId: string, id: string, actor: Actor): Promise<void> {
    await this.store.accountTx(accountId, async ({ client, at }) => {
      const before = await this.getOn(client, accountId, id);
      if (!before) throw new NotFoundError('User');
      // The user's entry and personal contacts: deleted row by row, so their words go too (no foreign key there).
      const owned = await client.query<{ id: string }>('SELECT id FROM contacts WHERE account_id = $1 AND user_id = $2', [accountId, id]);
      const deleted: string[] = [];
      for (const { id: contactId } of owned.rows) {
        const c = await this.store.contactOn(client, accountId, contactId, { shared: false, users: true, personalOf: id });
        if (c) {
          await this.store.deleteRow(client, accountId, c);
          deleted.push(contactId);
        }
      }
      await client.query('DELETE FROM users WHERE id = $1', [id]); // cascades to tokens and sessions
      await this.store.audit(client, accountId, actor, 'user.delete', id, before, null, at);
      return { result: undefined, feed: { changed: [], deleted, books: [USERS_BOOK, personalBook(id)] } };
    });
  }

  /** No audit entry and no revision: nothing a person changed, and not part of any entry. */
  async upgradePasswordHash(accountId: string, id: string, expected: string, next: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE users SET password_hash = $1 WHERE id = $2 AND account_id = $3 AND password_hash = $4', [next, id, accountId, expected]);
    return (rowCount ?? 0) > 0;
  }
}

/** Ends a user's sessions and tokens after a password change, inside the update's transaction. */
async function revokeCredentials(client: pg.ClientBase, accountId: string, userId: string, r: CredentialRevocation): Promise<void> {
  await client.query('DELETE FROM portal_sessions WHERE account_id = $1 AND user_id = $2 AND id IS DISTINCT FROM $3', [accountId, userId, r.keepSessionId ?? null]);
  if (!r.keepTokens) {
    await client.query('DELETE FROM api_tokens WHERE account_id = $1 AND user_id = $2 AND id IS DISTINCT FROM $3', [accountId, userId, r.keepTokenId ?? null]);
  }
}
