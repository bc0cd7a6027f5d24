// Start-up duties: the secrets key (checked against the database), the platform-admin token, and
// the optional demo account.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, newToken } from './auth/api-tokens.ts';
import { hashPassword } from './auth/passwords.ts';
import { SecretBox } from './auth/secret-box.ts';
import type { AppContext } from './app-context.ts';
import { accountCreateSchema } from './domain/account-schemas.ts';
import { prepareContact } from './domain/prepare-contact.ts';
import { PROJECT_ROOT } from './config/load-config.ts';
import type { AsyncStore } from './store/async-store.ts';

/**
 * Makes sure a platform-admin token exists. On an empty data dir: DIALBOOK_ADMIN_TOKEN if set,
 * else a random token; written to <dataDir>/admin-token (mode 0600). Returns the token when this
 * call created it (so the caller can print it once), else null.
 */
export async function ensureAdminToken(ctx: AppContext): Promise<string | null> {
  const configured = ctx.config.adminToken;
  if (configured) {
    const tokenHash = hashToken(configured);
    if (!(await ctx.db.findTokenByHash(tokenHash))) {
      try {
        await ctx.db.createToken({ accountId: null, userId: null, label: 'admin (from configuration)', tokenHash });
      } catch (err) {
        // Another instance starting with the same configuration stored it first (the hash is unique).
        if (!(await ctx.db.findTokenByHash(tokenHash))) throw err;
      }
    }
    return null;
  }
  if ((await ctx.db.countPlatformTokens()) > 0) return null;
  const token = newToken();
  await ctx.db.createToken({ accountId: null, userId: null, label: 'admin (first start)', tokenHash: hashToken(token) });
  const file = join(ctx.config.dataDir, 'admin-token');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

interface DemoFile {
  account: unknown;
  phoneCredentials: { username: string; password: string };
  users: { username: string; name: string; scope: 'basic' | 'office_manager' | 'site_manager' | 'call_center_supervisor'; extension?: string; email?: string; password: string }[];
  contacts: unknown[];
}

/** Loads fixtures/demo-account.json once (skipped when the account exists). */
export async function loadDemo(ctx: AppContext, file = join(PROJECT_ROOT, 'fixtures/demo-account.json')): Promise<string | null> {
  if (!existsSync(file)) throw new Error(`Demo file ${file} is missing`);
  const demo = JSON.parse(readFileSync(file, 'utf8')) as DemoFile;
  const account = accountCreateSchema.parse(demo.account);
  if (await ctx.db.getAccount(account.id)) return null;
  // The slow part (a scrypt hash per user) first, then the writes one right after another: a
  // server stopped during the seeding (Ctrl-C right after start) must not leave a half-made demo
  // account, which the next start would skip because the account exists. The writes are awaited
  // in turn (on PostgreSQL they must commit in that order): a stop is clean between them only if
  // the server's stop waits for this start-up task (Readiness.startupTask holds it).
  const users = await Promise.all(demo.users.map(async ({ password, ...rest }) => ({ ...rest, passwordHash: await hashPassword(password) })));
  const ops = demo.contacts.map((c) => ({ op: 'create' as const, contact: prepareContact(c, account.region) }));
  const actor = { id: 'demo' };
  await ctx.db.createAccount(account, actor);
  await ctx.phoneCredentials.set(account.id, demo.phoneCredentials.username, demo.phoneCredentials.password, actor);
  for (const u of users) await ctx.db.createUser(account.id, u, actor);
  await ctx.db.applyBatch(account.id, { source: 'shared' }, ops, actor);
  return account.id;
}

/**
 * Opens the secrets key for this store and proves it opens every sealed secret, so a database
 * restored without its key (or with another one) stops the start with the cause named, instead
 * of answering 500 to every phone. A new key is only made for a database with nothing sealed.
 */
export async function openSecretsOf(config: SecretsConfig, db: Pick<AsyncStore, 'listAccounts' | 'getPhoneCredentials'>): Promise<SecretBox> {
  const sealed: Sealed[] = [];
  for (const a of await db.listAccounts()) {
    const c = await db.getPhoneCredentials(a.id);
    if (c) sealed.push({ accountId: a.id, value: c.secretSealed });
  }
  return openSecretsFor(config, sealed);
}

type SecretsConfig = { dataDir: string; secretKeyFile: string | null };
type Sealed = { accountId: string; value: string };

function openSecretsFor(config: SecretsConfig, sealed: Sealed[]): SecretBox {
  const file = SecretBox.keyFile(config);
  const box = SecretBox.fromFile(file, { create: sealed.length === 0 });
  for (const s of sealed) {
    try {
      box.open(s.value);
    } catch (err) {
      throw new Error(`The secrets key ${file} cannot open the phone credentials of account "${s.accountId}" (${(err as Error).message}): `
        + 'the database and the key do not belong together. Restore the key backed up with this database (`dialbook restore`), or point secretKeyFile at it');
    }
  }
  return box;
}
