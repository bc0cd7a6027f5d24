// Users and API tokens. Each user is mirrored as a directory entry (a contact with source 'user')
// so phones find colleagues with the same indexed searches as shared contacts.
import { newId } from '../ids.ts';
import type { Actor } from '../../domain/audit.ts';
import { prepareUserEntry } from '../../domain/user-entry.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import type { ApiTokenInfo, TokenKind, User, UserCreate, UserPatch } from '../../domain/user-schemas.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CredentialRevocation, TokenRecord } from '../store.ts';
import { publicToken, tokenFromRow as toToken, userFromRow, type TokenRow, type UserRow } from '../user-records.ts';
import { now, type Db, type StatementCache } from './database.ts';
import type { SqliteContactWriter } from './sqlite-contact-writer.ts';

type UserWrite = Omit<UserCreate, 'password'> & { passwordHash?: string | null };
type UserUpdate = Omit<UserPatch, 'password'> & { passwordHash?: string | null };

export class SqliteUserStore {
  constructor(
    private readonly db: Db,
    private readonly stmts: StatementCache,
    private readonly writer: SqliteContactWriter,
    private readonly regionOf: (accountId: string) => string,
  ) {}

  create(accountId: string, input: UserWrite, actor: Actor): User {
    return this.db.transaction(() => {
      if (this.stmts.get('SELECT 1 FROM users WHERE account_id = ? AND username = ?').get(accountId, input.username)) {
        throw new ConflictError(`Username "${input.username}" is taken in this account`, [{ field: 'username', value: input.username, reason: 'is taken' }]);
      }
      const id = newId();
      const at = now();
      this.stmts.get(`INSERT INTO users (id, account_id, username, name, scope, extension, direct_number, email, password_hash, created_at, updated_at)
        VALUES (?,?,?,?,?,?,?,?,?,?,?)`).run(id, accountId, input.username, input.name, input.scope, input.extension ?? '',
        input.directNumber ?? '', input.email ?? '', input.passwordHash ?? null, at, at);
      const user = this.get(accountId, id)!;
      this.writer.insertRow(accountId, { id, source: 'user', userId: id, contact: this.directoryEntry(accountId, user) }, actor.id, at);
      this.writer.audit(accountId, actor, 'user.create', id, null, user);
      this.writer.bumpRevision(accountId);
      return user;
    })();
  }

  get(accountId: string, id: string): User | null {
    const row = this.stmts.get('SELECT * FROM users WHERE account_id = ? AND id = ?').get(accountId, id) as UserRow | undefined;
    return row ? userFromRow(row) : null;
  }

  findByLogin(accountId: string, login: string): (User & { passwordHash: string | null }) | null {
    const l = login.trim().toLowerCase();
    const row = this.stmts.get('SELECT * FROM users WHERE account_id = ? AND (username = ? OR (email <> \'\' AND lower(email) = ?)) ORDER BY username = ? DESC LIMIT 1')
      .get(accountId, l, l, l) as UserRow | undefined;
    return row ? { ...userFromRow(row), passwordHash: row.password_hash } : null;
  }

  list(accountId: string): User[] {
    return (this.stmts.get('SELECT * FROM users WHERE account_id = ? ORDER BY name, username').all(accountId) as UserRow[]).map(userFromRow);
  }

  update(accountId: string, id: string, patch: UserUpdate, actor: Actor, revoke?: CredentialRevocation): User {
    return this.db.transaction(() => {
      const before = this.get(accountId, id);
      if (!before) throw new NotFoundError('User');
      const hash = patch.passwordHash !== undefined ? patch.passwordHash : (this.stmts.get('SELECT password_hash h FROM users WHERE id = ?').get(id) as { h: string | null }).h;
      this.stmts.get('UPDATE users SET name=?, scope=?, extension=?, direct_number=?, email=?, password_hash=?, updated_at=? WHERE id=?').run(
        patch.name ?? before.name, patch.scope ?? before.scope, patch.extension ?? before.extension,
        patch.directNumber ?? before.directNumber, patch.email ?? before.email, hash, now(), id,
      );
      const after = this.get(accountId, id)!;
      const entry = this.writer.namesOf(id);
      if (entry) this.writer.updateRow(accountId, entry, this.directoryEntry(accountId, after), actor.id);
      this.writer.audit(accountId, actor, 'user.update', id, before, after);
      this.writer.bumpRevision(accountId);
      if (revoke) this.revoke(accountId, id, revoke);
      return after;
    })();
  }

  delete(accountId: string, id: string, actor: Actor): void {
    this.db.transaction(() => {
      const before = this.get(accountId, id);
      if (!before) throw new NotFoundError('User');
      const owned = this.stmts.get('SELECT id FROM contacts WHERE user_id = ?').all(id) as { id: string }[];
      for (const { id: contactId } of owned) this.writer.deleteRow(accountId, this.writer.namesOf(contactId)!);
      this.stmts.get('DELETE FROM users WHERE id = ?').run(id); // cascades to tokens
      this.writer.audit(accountId, actor, 'user.delete', id, before, null);
      this.writer.bumpRevision(accountId);
    })();
  }

  private directoryEntry(accountId: string, u: User): PreparedContact {
    return prepareUserEntry(u, this.regionOf(accountId));
  }

  /** Ends a user's sessions and tokens after a password change (inside update's transaction). */
  private revoke(accountId: string, userId: string, r: CredentialRevocation): void {
    this.stmts.get('DELETE FROM portal_sessions WHERE account_id = ? AND user_id = ? AND id IS NOT ?').run(accountId, userId, r.keepSessionId ?? null);
    if (!r.keepTokens) {
      this.stmts.get('DELETE FROM api_tokens WHERE account_id = ? AND user_id = ? AND id IS NOT ?').run(accountId, userId, r.keepTokenId ?? null);
    }
  }

  createToken(t: { accountId: string | null; userId: string | null; label: string; tokenHash: string; kind?: TokenKind }): ApiTokenInfo {
    const id = newId();
    const kind = t.kind ?? (t.accountId === null ? 'platform' : 'api');
    this.stmts.get('INSERT INTO api_tokens (id, kind, account_id, user_id, label, token_hash, created_at) VALUES (?,?,?,?,?,?,?)')
      .run(id, kind, t.accountId, t.userId, t.label, t.tokenHash, now());
    return publicToken(toToken(this.stmts.get('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow));
  }

  findTokenByHash(hash: string): TokenRecord | null {
    const row = this.stmts.get('SELECT * FROM api_tokens WHERE token_hash = ?').get(hash) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  listTokens(accountId: string | null, userId: string | null): ApiTokenInfo[] {
    return (this.stmts.get('SELECT * FROM api_tokens WHERE account_id IS ? AND user_id IS ? ORDER BY created_at').all(accountId, userId) as TokenRow[])
      .map((r) => publicToken(toToken(r)));
  }

  deleteToken(accountId: string | null, tokenId: string): boolean {
    return this.stmts.get('DELETE FROM api_tokens WHERE id = ? AND account_id IS ?').run(tokenId, accountId).changes > 0;
  }

  touchToken(tokenId: string): void {
    this.stmts.get('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now(), tokenId);
  }

  countPlatformTokens(): number {
    return (this.stmts.get('SELECT count(*) n FROM api_tokens WHERE account_id IS NULL AND user_id IS NULL').get() as { n: number }).n;
  }
}
