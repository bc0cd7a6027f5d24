// Starts the real server (HTTP and LDAP on port 0) over a fresh SQLite file in a temp dir, and
// seeds accounts through the same store and services the API uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppContext } from '../../src/app-context.ts';
import { hashToken, newToken } from '../../src/auth/api-tokens.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { loadConfig, type DeepPartial } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/config-schema.ts';
import type { Account, AccountSettings, UserScope } from '../../src/domain/account-schemas.ts';
import type { User } from '../../src/domain/user-schemas.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { startServer } from '../../src/server.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
/** GET /metrics needs it: `Authorization: Bearer ${METRICS_TOKEN}`. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';

export interface TestServer {
  ctx: AppContext;
  httpUrl: string;
  httpsPort: number | null;
  metricsPort: number | null;
  ldapPort: number | null;
  adminToken: string;
  dataDir: string;
  /** Stops the server and removes its data dir. */
  close(): Promise<void>;
  /** Stops the server and keeps its data dir (to start another server on it). */
  stop(): Promise<void>;
  reloadTls(): void;
}

export async function startTestServer(overrides: DeepPartial<Config> = {}): Promise<TestServer> {
  const dataDir = typeof overrides.dataDir === 'string' ? overrides.dataDir : mkdtempSync(join(tmpdir(), 'dialbook-test-'));
  const config = loadConfig({
    env: {},
    overrides: deepMerge({
      dataDir,
      adminToken: ADMIN_TOKEN,
      log: { level: 'silent' },
      http: { host: '127.0.0.1', port: 0, shutdownGraceMs: 1000 },
      ldap: { host: '127.0.0.1', port: 0, failedBindDelayMs: 0 },
      metrics: { token: METRICS_TOKEN },
    }, overrides as Record<string, unknown>),
  });
  const server = await startServer(config);
  return {
    ctx: server.ctx,
    httpUrl: `http://127.0.0.1:${server.httpPort}`,
    httpsPort: server.httpsPort,
    metricsPort: server.metricsPort,
    ldapPort: server.ldapPort,
    adminToken: ADMIN_TOKEN,
    dataDir,
    close: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    stop: () => server.stop(),
    reloadTls: () => server.reloadTls(),
  };
}

export interface SeedUser {
  username: string;
  name?: string;
  scope?: UserScope;
  extension?: string;
  directNumber?: string;
  email?: string;
  password?: string;
}

export interface SeedOptions {
  id: string;
  name?: string;
  region?: string;
  settings?: Partial<AccountSettings>;
  users?: SeedUser[];
  /** Contact inputs as the API takes them (validated and normalised the same way). */
  contacts?: object[];
  phoneCredentials?: { username: string; password: string };
}

export interface SeededAccount {
  account: Account;
  users: Record<string, User>;
  /** API token per username. */
  tokens: Record<string, string>;
  pathToken: string | null;
}

// Hashing is slow on purpose (scrypt N = 2^17); tests seed the same passwords again and again.
const seededHashes = new Map<string, Promise<string>>();
const seedHash = (password: string) => {
  let h = seededHashes.get(password);
  if (!h) seededHashes.set(password, (h = hashPassword(password)));
  return h;
};

export async function seedAccount(ctx: AppContext, o: SeedOptions): Promise<SeededAccount> {
  const actor = { id: 'test-seed' };
  const account = await ctx.db.createAccount({ id: o.id, name: o.name ?? o.id, region: o.region ?? 'US', settings: o.settings }, actor);
  const users: Record<string, User> = {};
  const tokens: Record<string, string> = {};
  for (const u of o.users ?? []) {
    const user = await ctx.db.createUser(account.id, {
      username: u.username, name: u.name ?? u.username, scope: u.scope ?? 'basic', extension: u.extension,
      directNumber: u.directNumber, email: u.email, passwordHash: u.password ? await seedHash(u.password) : null,
    }, actor);
    users[u.username] = user;
    const token = newToken();
    await ctx.db.createToken({ accountId: account.id, userId: user.id, label: 'test', tokenHash: hashToken(token) });
    tokens[u.username] = token;
  }
  if (o.contacts?.length) {
    await ctx.db.applyBatch(account.id, { source: 'shared' },
      o.contacts.map((c) => ({ op: 'create' as const, contact: prepareContact(c, account.region) })), actor);
  }
  let pathToken: string | null = null;
  if (o.phoneCredentials) {
    pathToken = (await ctx.phoneCredentials.set(account.id, o.phoneCredentials.username, o.phoneCredentials.password, actor)).pathToken;
  }
  return { account: (await ctx.db.getAccount(account.id))!, users, tokens, pathToken };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object'
      ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
