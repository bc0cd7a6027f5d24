// Portal sessions in SQLite, so they survive a restart and can be listed and ended. Keyed by a
// hash of the cookie value: a copy of the database does not let anyone sign in.
import type { SessionRecord } from '../store.ts';
import type { Db, StatementCache } from './database.ts';

interface SessionRow {
  id: string; token_hash: string; account_id: string | null; user_id: string | null;
  created_at: number; authenticated_at: number; last_seen_at: number; expires_at: number; user_agent: string; ip: string;
}
const toRecord = (r: SessionRow): SessionRecord => ({
  id: r.id, tokenHash: r.token_hash, accountId: r.account_id, userId: r.user_id, createdAt: r.created_at,
  authenticatedAt: r.authenticated_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at, userAgent: r.user_agent, ip: r.ip,
});

export class SqliteSessionStore {
  constructor(private readonly db: Db, private readonly stmts: StatementCache) {}

  create(r: SessionRecord): void {
    this.db.transaction(() => {
      this.stmts.get('DELETE FROM portal_sessions WHERE expires_at < ?').run(r.createdAt);
      this.stmts.get(`INSERT INTO portal_sessions (id, token_hash, account_id, user_id, created_at, authenticated_at, last_seen_at, expires_at, user_agent, ip)
        VALUES (?,?,?,?,?,?,?,?,?,?)`).run(r.id, r.tokenHash, r.accountId, r.userId, r.createdAt, r.authenticatedAt, r.lastSeenAt, r.expiresAt, r.userAgent, r.ip);
    })();
  }

  findByHash(tokenHash: string): SessionRecord | null {
    const row = this.stmts.get('SELECT * FROM portal_sessions WHERE token_hash = ?').get(tokenHash) as SessionRow | undefined;
    return row ? toRecord(row) : null;
  }

  touch(id: string, lastSeenAt: number, expiresAt: number): void {
    this.stmts.get('UPDATE portal_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?').run(lastSeenAt, expiresAt, id);
  }

  markAuthenticated(id: string, at: number): void {
    this.stmts.get('UPDATE portal_sessions SET authenticated_at = ? WHERE id = ?').run(at, id);
  }

  delete(id: string, owner?: { accountId: string; userId: string }): boolean {
    if (!owner) return this.stmts.get('DELETE FROM portal_sessions WHERE id = ?').run(id).changes > 0;
    return this.stmts.get('DELETE FROM portal_sessions WHERE id = ? AND account_id = ? AND user_id = ?').run(id, owner.accountId, owner.userId).changes > 0;
  }

  listForUser(accountId: string, userId: string, now: number): SessionRecord[] {
    return (this.stmts.get('SELECT * FROM portal_sessions WHERE account_id = ? AND user_id = ? AND expires_at >= ? ORDER BY created_at DESC, id')
      .all(accountId, userId, now) as SessionRow[]).map(toRecord);
  }

  deleteForUser(accountId: string, userId: string): number {
    return this.stmts.get('DELETE FROM portal_sessions WHERE account_id = ? AND user_id = ?').run(accountId, userId).changes;
  }
}
