// Portal sessions on PostgreSQL, shared by every instance (a user signed in through one instance
// is signed in on all). Keyed by a hash of the cookie value: a copy of the database does not let
// anyone sign in. Times are epoch milliseconds.
import type pg from 'pg';
import type { SessionRecord } from '../store.ts';

interface SessionRow {
  id: string; token_hash: string; account_id: string | null; user_id: string | null;
  created_at: string; authenticated_at: string; last_seen_at: string; expires_at: string; user_agent: string; ip: string;
}
const toRecord = (r: SessionRow): SessionRecord => ({
  id: r.id, tokenHash: r.token_hash, accountId: r.account_id, userId: r.user_id, createdAt: Number(r.created_at),
  authenticatedAt: Number(r.authenticated_at), lastSeenAt: Number(r.last_seen_at), expiresAt: Number(r.expires_at), userAgent: r.user_agent, ip: r.ip,
});

export class PgSessionStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Also drops sessions that expired before this one was made (one statement: both or neither). */
  async create(r: SessionRecord): Promise<void> {
    await this.pool.query(`WITH expired AS (DELETE FROM portal_sessions WHERE expires_at < $5)
      INSERT INTO portal_sessions (id, token_hash, account_id, user_id, created_at, authenticated_at, last_seen_at, expires_at, user_agent, ip)
      VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
    [r.id, r.tokenHash, r.accountId, r.userId, r.createdAt, r.authenticatedAt, r.lastSeenAt, r.expiresAt, r.userAgent, r.ip]);
  }

  async findByHash(tokenHash: string): Promise<SessionRecord | null> {
    const { rows } = await this.pool.query<SessionRow>('SELECT * FROM portal_sessions WHERE token_hash = $1', [tokenHash]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async touch(id: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    await this.pool.query('UPDATE portal_sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1', [id, lastSeenAt, expiresAt]);
  }

  async markAuthenticated(id: string, at: number): Promise<void> {
    await this.pool.query('UPDATE portal_sessions SET authenticated_at = $2 WHERE id = $1', [id, at]);
  }

  async delete(id: string, owner?: { accountId: string; userId: string }): Promise<boolean> {
    const { rowCount } = owner
      ? await this.pool.query('DELETE FROM portal_sessions WHERE id = $1 AND account_id = $2 AND user_id = $3', [id, owner.accountId, owner.userId])
      : await this.pool.query('DELETE FROM portal_sessions WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async listForUser(accountId: string, userId: string, now: number): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<SessionRow>(
      'SELECT * FROM portal_sessions WHERE account_id = $1 AND user_id = $2 AND expires_at >= $3 ORDER BY created_at DESC, id COLLATE "C"', [accountId, userId, now]);
    return rows.map(toRecord);
  }

  async deleteForUser(accountId: string, userId: string): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM portal_sessions WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
    return rowCount ?? 0;
  }
}
