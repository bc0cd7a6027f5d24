// API tokens on PostgreSQL: the platform admin's, managers' API tokens and app passwords. Only a
// hash of each token is stored; lookups are by that hash. Single statements, no revision: a token
// is not part of any directory entry.
import type pg from 'pg';
import type { ApiTokenInfo, TokenKind } from '../../domain/user-schemas.ts';
import { newId } from '../ids.ts';
import type { TokenRecord } from '../store.ts';
import { publicToken, tokenFromRow, type TokenRow } from '../user-records.ts';

const now = (): string => new Date().toISOString();

export class PgTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  /** kind defaults to 'platform' without an account, else 'api' (as on SQLite). */
  async create(t: { accountId: string | null; userId: string | null; label: string; tokenHash: string; kind?: TokenKind }): Promise<ApiTokenInfo> {
    const kind = t.kind ?? (t.accountId === null ? 'platform' : 'api');
    const { rows } = await this.pool.query<TokenRow>(
      'INSERT INTO api_tokens (id, kind, account_id, user_id, label, token_hash, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *',
      [newId(), kind, t.accountId, t.userId, t.label, t.tokenHash, now()]);
    return publicToken(tokenFromRow(rows[0]));
  }

  async findByHash(hash: string): Promise<TokenRecord | null> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1', [hash]);
    return rows[0] ? tokenFromRow(rows[0]) : null;
  }

  async list(accountId: string | null, userId: string | null): Promise<ApiTokenInfo[]> {
    const { rows } = await this.pool.query<TokenRow>(
      'SELECT * FROM api_tokens WHERE account_id IS NOT DISTINCT FROM $1 AND user_id IS NOT DISTINCT FROM $2 ORDER BY created_at COLLATE "C", id',
      [accountId, userId]);
    return rows.map((r) => publicToken(tokenFromRow(r)));
  }

  async delete(accountId: string | null, tokenId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM api_tokens WHERE id = $1 AND account_id IS NOT DISTINCT FROM $2', [tokenId, accountId]);
    return (rowCount ?? 0) > 0;
  }

  async touch(tokenId: string): Promise<void> {
    await this.pool.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [now(), tokenId]);
  }

  async countPlatform(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM api_tokens WHERE account_id IS NULL AND user_id IS NULL');
    return Number(rows[0].n);
  }
}
