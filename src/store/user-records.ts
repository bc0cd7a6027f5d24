// A user as both engines store it: the users row's mapping, the token row's, and the directory
// entry each user is mirrored as (a contact with source 'user', so phones find colleagues with the
// same indexed searches as shared contacts). Shared so that SQLite and PostgreSQL cannot disagree
// on how a user's name splits or which numbers a colleague's entry carries.
import type { UserScope } from '../domain/account-schemas.ts';
import type { PhoneNumber } from '../domain/contact-schemas.ts';
import { normalizeNumber } from '../domain/phone-number.ts';
import type { PreparedContact } from '../domain/prepare-contact.ts';
import { searchForms } from '../domain/search-forms.ts';
import type { ApiTokenInfo, TokenKind, User } from '../domain/user-schemas.ts';
import { ValidationError } from '../errors.ts';
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

/** The user's directory entry: name split into first/last, extension and direct number (normalised in the account's region). */
export function userDirectoryEntry(u: User, region: string): PreparedContact {
  const parts = u.name.trim().split(/\s+/);
  const lastName = parts.length > 1 ? parts.pop()! : parts[0];
  const firstName = parts.length > 0 && parts[0] !== lastName ? parts.join(' ') : '';
  const numbers: PhoneNumber[] = [];
  if (u.extension) numbers.push({ kind: 'extension', raw: u.extension, e164: null, digits: u.extension.replace(/\D/g, '') });
  if (u.directNumber) {
    const n = normalizeNumber(u.directNumber, region);
    if (!n.ok) throw new ValidationError(`directNumber ${n.reason}`, [{ field: 'directNumber', value: u.directNumber, reason: n.reason }]);
    numbers.push({ kind: 'work', ...n.value });
  }
  const fields = {
    firstName, lastName, company: '', title: '', workNumber: u.extension, mobileNumber: '', homeNumber: '',
    faxNumber: '', email: u.email, groups: [],
  };
  return { fields, numbers, search: searchForms(fields) };
}
