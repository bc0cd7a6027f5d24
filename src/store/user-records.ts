// A user as both engines store it: the users row's mapping and the token row's. Shared so that
// SQLite and PostgreSQL cannot disagree; the directory entry each user is mirrored as comes from
// the domain (prepareUserEntry in src/domain/user-entry.ts), by the rules a contact follows.
import type { UserScope } from '../domain/account-schemas.ts';
import type { ApiTokenInfo, TokenKind, User } from '../domain/user-schemas.ts';
import type { TokenRecord } from './store.ts';

export interface UserRow {
  id: string; account_id: string; username: string; name: string; scope: string; extension: string;
  direct_number: string; email: string; password_hash: string | null; created_at: string; updated_at: string;
}

export function userFromRow(r: UserRow): User {
  return {
    id: r.id, accountId: r.account_id, username: r.username, name: r.name, scope: r.scope as UserScope,
    extension: r.extension, directNumber: r.direct_number, email: r.email,
    hasPassword: r.password_hash !== null, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export interface TokenRow { id: string; kind: TokenKind; account_id: string | null; user_id: string | null; label: string; token_hash: string; created_at: string; last_used_at: string | null }

export const tokenFromRow = (r: TokenRow): TokenRecord => ({
  id: r.id, kind: r.kind, accountId: r.account_id, userId: r.user_id, label: r.label, tokenHash: r.token_hash,
  createdAt: r.created_at, lastUsedAt: r.last_used_at,
});

export const publicToken = ({ tokenHash: _h, ...info }: TokenRecord): ApiTokenInfo => info;
