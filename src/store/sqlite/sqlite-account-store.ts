// Accounts: settings, revision, phone credentials.
import { defaultSettings, type Account, type AccountVersion, type AccountCreate, type AccountPatch, type AccountSettings } from '../../domain/account-schemas.ts';
import type { Actor } from '../../domain/audit.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { randomBytes } from 'node:crypto';
import { now, type Db, type StatementCache } from './database.ts';
import type { SqliteContactWriter } from './sqlite-contact-writer.ts';

interface AccountRow {
  id: string; name: string; region: string; settings: string; incarnation: string; revision: number; created_at: string; updated_at: string;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id, name: r.name, region: r.region, settings: defaultSettings(JSON.parse(r.settings) as Partial<AccountSettings>),
  incarnation: r.incarnation, revision: r.revision, createdAt: r.created_at, updatedAt: r.updated_at,
});

export type PhoneCredentialsRow = { username: string; secretSealed: string; pathToken: string };

export class SqliteAccountStore {
  /** Region per account, read on every number query: cached, invalidated on update. */
  private readonly regions = new Map<string, string>();

  constructor(private readonly db: Db, private readonly stmts: StatementCache, private readonly writer: SqliteContactWriter) {}

  create(input: AccountCreate, actor: Actor): Account {
    return this.db.transaction(() => {
      if (this.get(input.id)) throw new ConflictError(`Account "${input.id}" already exists`, [{ field: 'id', value: input.id, reason: 'is taken' }]);
      const at = now();
      this.stmts.get('INSERT INTO accounts (id, name, region, settings, incarnation, revision, created_at, updated_at) VALUES (?,?,?,?,?,1,?,?)')
        .run(input.id, input.name, input.region, JSON.stringify(defaultSettings(input.settings ?? {})), newIncarnation(), at, at);
      const account = this.get(input.id)!;
      this.writer.audit(account.id, actor, 'account.create', account.id, null, account);
      return account;
    })();
  }

  get(id: string): Account | null {
    const row = this.stmts.get('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  list(): Account[] {
    return (this.stmts.get('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(toAccount);
  }

  update(id: string, patch: AccountPatch, actor: Actor): Account {
    return this.db.transaction(() => {
      const before = this.get(id);
      if (!before) throw new NotFoundError('Account');
      const settings = defaultSettings({ ...before.settings, ...(patch.settings ?? {}) });
      this.stmts.get('UPDATE accounts SET name = ?, region = ?, settings = ?, revision = revision + 1, updated_at = ? WHERE id = ?')
        .run(patch.name ?? before.name, patch.region ?? before.region, JSON.stringify(settings), now(), id);
      this.regions.delete(id);
      const after = this.get(id)!;
      this.writer.audit(id, actor, 'account.update', id, before, after);
      return after;
    })();
  }

  delete(id: string): void {
    this.db.transaction(() => {
      const info = this.stmts.get('DELETE FROM accounts WHERE id = ?').run(id);
      if (info.changes === 0) throw new NotFoundError('Account');
      this.stmts.get('DELETE FROM contact_words WHERE account_id = ?').run(id); // no foreign key there
    })();
    this.regions.delete(id);
  }

  version(id: string): AccountVersion | null {
    const row = this.stmts.get('SELECT incarnation, revision FROM accounts WHERE id = ?').get(id) as AccountVersion | undefined;
    return row ? { incarnation: row.incarnation, revision: row.revision } : null;
  }

  region(id: string): string {
    let r = this.regions.get(id);
    if (!r) {
      const row = this.stmts.get('SELECT region FROM accounts WHERE id = ?').get(id) as { region: string } | undefined;
      if (!row) throw new NotFoundError('Account');
      r = row.region;
      this.regions.set(id, r);
    }
    return r;
  }

  setPhoneCredentials(id: string, creds: PhoneCredentialsRow | null, actor: Actor): void {
    this.db.transaction(() => {
      const info = this.stmts.get('UPDATE accounts SET phone_username = ?, phone_secret = ?, phone_path_token = ?, revision = revision + 1, updated_at = ? WHERE id = ?')
        .run(creds?.username ?? null, creds?.secretSealed ?? null, creds?.pathToken ?? null, now(), id);
      if (info.changes === 0) throw new NotFoundError('Account');
      // The audit log records that credentials changed, never the secret.
      this.writer.audit(id, actor, 'account.update', id, null, { phoneCredentials: creds ? { username: creds.username } : null });
    })();
  }

  getPhoneCredentials(id: string): PhoneCredentialsRow | null {
    const row = this.stmts.get('SELECT phone_username u, phone_secret s, phone_path_token t FROM accounts WHERE id = ?').get(id) as
      { u: string | null; s: string | null; t: string | null } | undefined;
    return row?.u && row.s && row.t ? { username: row.u, secretSealed: row.s, pathToken: row.t } : null;
  }

  findByPathToken(token: string): string | null {
    const row = this.stmts.get('SELECT id FROM accounts WHERE phone_path_token = ?').get(token) as { id: string } | undefined;
    return row?.id ?? null;
  }
}

/** 96 random bits as hex: unique among every account that ever had a given id. */
function newIncarnation(): string {
  return randomBytes(12).toString('hex');
}
