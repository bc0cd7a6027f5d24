// Accounts on PostgreSQL: creation with a fresh incarnation, settings (a change of every entry for
// the feed), phone credentials (the secret sealed by the caller, never audited), and deletion with
// the rows that have no foreign key to the account.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  defaultSettings, type Account, type AccountCreate, type AccountPatch, type AccountSettings, type AccountVersion,
} from '../../domain/account-schemas.ts';
import type { Actor } from '../../domain/audit.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { PhoneCredentials } from '../async-store.ts';
import type { PgWrites } from './pg-writes.ts';
import { ACCOUNT_GONE_REVISION } from '../async-store.ts';
import { CHANGE_CHANNEL } from './pg-listener.ts';

const now = (): string => new Date().toISOString();
const newIncarnation = (): string => randomBytes(12).toString('hex');

interface AccountRow {
  id: string; name: string; region: string; settings: string; incarnation: string; revision: string; created_at: string; updated_at: string;
}
const toAccount = (r: AccountRow): Account => ({
  id: r.id, name: r.name, region: r.region, settings: defaultSettings(JSON.parse(r.settings) as Partial<AccountSettings>),
  incarnation: r.incarnation, revision: Number(r.revision), createdAt: r.created_at, updatedAt: r.updated_at,
});

export class PgAccountStore {
  constructor(
    private readonly store: PgWrites,
    private readonly pool: pg.Pool,
    private readonly tx: <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  async create(input: AccountCreate, actor: Actor): Promise<Account> {
    return this.tx(async (c) => {
      const at = now();
      const { rowCount } = await c.query(`INSERT INTO accounts (id, name, region, settings, incarnation, revision, created_at, updated_at)
        VALUES ($1,$2,$3,$4,$5,1,$6,$6) ON CONFLICT (id) DO NOTHING`,
      [input.id, input.name, input.region, JSON.stringify(defaultSettings(input.settings ?? {})), newIncarnation(), at]);
      if (rowCount === 0) throw new ConflictError(`Account "${input.id}" already exists`, [{ field: 'id', value: input.id, reason: 'is taken' }]);
      const account = (await this.accountOn(c, input.id))!;
      await this.store.audit(c, account.id, actor, 'account.create', account.id, null, account);
      return account;
    });
  }

  private async accountOn(c: pg.ClientBase | pg.Pool, id: string): Promise<Account | null> {
    const { rows } = await c.query<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  get(id: string): Promise<Account | null> {
    return this.accountOn(this.pool, id);
  }

  async list(): Promise<Account[]> {
    return (await this.pool.query<AccountRow>('SELECT * FROM accounts ORDER BY id')).rows.map(toAccount);
  }

  async update(id: string, patch: AccountPatch, actor: Actor): Promise<Account> {
    return this.store.accountTx(id, async ({ client, at }) => {
      const before = (await this.accountOn(client, id))!;
      const settings = defaultSettings({ ...before.settings, ...(patch.settings ?? {}) });
      const region = patch.region ?? before.region;
      await client.query('UPDATE accounts SET name = $2, region = $3, settings = $4, updated_at = $5 WHERE id = $1',
        [id, patch.name ?? before.name, region, JSON.stringify(settings), at]);
      const after = (await this.accountOn(client, id))!;
      await this.store.audit(client, id, actor, 'account.update', id, { ...before, revision: before.revision - 1 }, after);
      // Settings and region alter every entry (name order, numbers' form): readers start over.
      const everything = JSON.stringify(settings) !== JSON.stringify(before.settings) || region !== before.region;
      return { result: after, feed: everything ? { changed: [], deleted: [], everything } : null };
    });
  }

  async delete(id: string): Promise<void> {
    await this.tx(async (c) => {
      const { rowCount } = await c.query('DELETE FROM accounts WHERE id = $1', [id]);
      if (rowCount === 0) throw new NotFoundError('Account');
      // No foreign keys on these (see migrations 1 and 6): they go with the account explicitly.
      // The account's row went first, so a write that comes now finds no account (every write
      // locks that row before it writes contacts), and one that held it has committed.
      await c.query('DELETE FROM contact_numbers WHERE account_id = $1', [id]);
      await c.query('DELETE FROM contacts WHERE account_id = $1', [id]);
      await c.query('DELETE FROM audit_log WHERE account_id = $1', [id]);
      await c.query('DELETE FROM contact_words WHERE account_id = $1', [id]);
      await c.query('DELETE FROM change_log WHERE account_id = $1', [id]);
      await c.query('DELETE FROM change_floor WHERE account_id = $1', [id]);
      await c.query('DELETE FROM change_book_floor WHERE account_id = $1', [id]);
      // Other instances drop the account's read model and cached credentials now, not at their
      // next poll: a revision above any real one makes every follower read the feed, which
      // answers "start over" for an account that is gone (delivered at commit only).
      await c.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, `${id}:${ACCOUNT_GONE_REVISION}`]);
    });
  }

  async version(id: string): Promise<AccountVersion | null> {
    const { rows } = await this.pool.query<{ incarnation: string; revision: string }>('SELECT incarnation, revision FROM accounts WHERE id = $1', [id]);
    return rows[0] ? { incarnation: rows[0].incarnation, revision: Number(rows[0].revision) } : null;
  }

  async setPhoneCredentials(id: string, creds: PhoneCredentials | null, actor: Actor): Promise<void> {
    await this.store.accountTx(id, async ({ client }) => {
      await client.query('UPDATE accounts SET phone_username = $2, phone_secret = $3, phone_path_token = $4 WHERE id = $1',
        [id, creds?.username ?? null, creds?.secretSealed ?? null, creds?.pathToken ?? null]);
      // The audit log records that credentials changed, never the secret.
      await this.store.audit(client, id, actor, 'account.update', id, null, { phoneCredentials: creds ? { username: creds.username } : null });
      return { result: undefined, feed: null };
    });
  }

  async getPhoneCredentials(id: string): Promise<PhoneCredentials | null> {
    const { rows } = await this.pool.query<{ u: string | null; s: string | null; t: string | null }>(
      'SELECT phone_username u, phone_secret s, phone_path_token t FROM accounts WHERE id = $1', [id]);
    const r = rows[0];
    return r?.u && r.s && r.t ? { username: r.u, secretSealed: r.s, pathToken: r.t } : null;
  }

  async findByPathToken(token: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM accounts WHERE phone_path_token = $1', [token]);
    return rows[0]?.id ?? null;
  }
}
