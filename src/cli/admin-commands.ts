// Account, user and token commands, working on the data dir through the store.
import type { Command } from 'commander';
import { hashToken, newToken } from '../auth/api-tokens.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { Config } from '../config/config-schema.ts';
import { accountCreateSchema, userScopeSchema } from '../domain/account-schemas.ts';
import { userCreateSchema } from '../domain/user-schemas.ts';
import { buildContext, closeContext } from '../server.ts';
import type { AppContext } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';

const CLI_ACTOR = { id: 'cli' };

async function withContext<T>(config: () => Config, fn: (ctx: AppContext) => Promise<T> | T): Promise<T> {
  const ctx = await buildContext({ ...config(), log: { level: 'silent' } });
  try {
    return await fn(ctx);
  } finally {
    await closeContext(ctx);
  }
}

const print = (value: unknown): void => void process.stdout.write(JSON.stringify(value, null, 2) + "\n");

export function registerAdminCommands(program: Command, config: () => Config): void {
  const account = program.command('account').description('manage accounts');
  account.command('create <id> <name>')
    .option('--region <code>', 'default phone region (ISO country)', 'US')
    .action((id: string, name: string, o: { region: string }) =>
      withContext(config, async (ctx) => print(await ctx.db.createAccount(accountCreateSchema.parse({ id, name, region: o.region }), CLI_ACTOR))));
  account.command('list').action(() => withContext(config, async (ctx) => print(await ctx.db.listAccounts())));
  account.command('delete <id>').action((id: string) => withContext(config, (ctx) => ctx.db.deleteAccount(id)));
  account.command('phone-credentials <account> <username>')
    .description('set the phones\' username; the password is read from DIALBOOK_PHONE_PASSWORD')
    .action((accountId: string, username: string) => withContext(config, async (ctx) => {
      const password = process.env.DIALBOOK_PHONE_PASSWORD;
      if (!password || password.length < 8) throw new Error('set DIALBOOK_PHONE_PASSWORD (8 characters or more)');
      const c = await ctx.phoneCredentials.set(accountId, username, password, CLI_ACTOR);
      print({ username: c.username, pathToken: c.pathToken });
    }));

  const user = program.command('user').description('manage users of an account');
  user.command('create <account> <username> <name>')
    .option('--scope <scope>', `one of ${userScopeSchema.options.join(', ')}`, 'basic')
    .option('--extension <ext>')
    .option('--email <email>')
    .description('add a user; the password, if any, is read from DIALBOOK_USER_PASSWORD')
    .action((accountId: string, username: string, name: string, o: { scope: string; extension?: string; email?: string }) =>
      withContext(config, async (ctx) => {
        const input = userCreateSchema.parse({ username, name, scope: o.scope, extension: o.extension, email: o.email, password: process.env.DIALBOOK_USER_PASSWORD });
        const { password, ...rest } = input;
        print(await ctx.db.createUser(accountId, { ...rest, passwordHash: password ? await hashPassword(password) : null }, CLI_ACTOR));
      }));
  user.command('list <account>').action((accountId: string) => withContext(config, async (ctx) => print(await ctx.db.listUsers(accountId))));

  const token = program.command('token').description('API tokens');
  token.command('create <account> <username>')
    .option('--label <label>', 'what the token is for', 'cli')
    .description('create a token for a user (printed once)')
    .action((accountId: string, username: string, o: { label: string }) => withContext(config, async (ctx) => {
      const u = await ctx.db.findUserByLogin(accountId, username);
      if (!u) throw new NotFoundError(`User ${username} in ${accountId}`);
      const t = newToken();
      print({ ...(await ctx.db.createToken({ accountId, userId: u.id, label: o.label, tokenHash: hashToken(t) })), token: t });
    }));
  token.command('create-admin')
    .option('--label <label>', 'what the token is for', 'cli')
    .description('create another platform-admin token (printed once)')
    .action((o: { label: string }) => withContext(config, async (ctx) => {
      const t = newToken();
      print({ ...(await ctx.db.createToken({ accountId: null, userId: null, label: o.label, tokenHash: hashToken(t) })), token: t });
    }));
  token.command('revoke <tokenId>')
    .option('--account <account>', 'the token\'s account (omit for platform-admin tokens)')
    .action((tokenId: string, o: { account?: string }) => withContext(config, async (ctx) => {
      if (!(await ctx.db.deleteToken(o.account ?? null, tokenId))) throw new NotFoundError('Token');
    }));
}
