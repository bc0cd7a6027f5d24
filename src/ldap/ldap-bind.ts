// Simple binds: the account's phone credentials or a user's own password or app password, given as a DN
// (cn= or uid=<user>,o=<account>,<suffix>), as <user>@<account> or as <account>\<user>. An empty name with an empty password
// is an anonymous bind. Wrong binds are slowed by the shared sign-in limiter (per address and per
// login, across connections); past it, binds are answered busy (51) without being checked.
import type { AppContext } from '../app-context.ts';
import { AppPasswordVerifier, isTokenShaped } from '../auth/app-passwords.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { LdapCode } from '../errors.ts';
import { counter } from '../ops/metrics.ts';
import { type DirectoryNames, parseBindName } from './ldap-dn.ts';
import { clearSession, setSession } from './ldap-session.ts';

export interface BindRequestLike {
  name: string;
  password: string;
  connection: { remoteAddress?: string };
}

export interface BindOutcome {
  code: number;
  message: string;
}

const OK: BindOutcome = { code: LdapCode.success, message: '' };
const INVALID: BindOutcome = { code: LdapCode.invalidCredentials, message: 'Invalid credentials' };

export function bindHandler(ctx: AppContext, names: DirectoryNames) {
  const delayMs = ctx.config.ldap.failedBindDelayMs;
  const appPasswords = new AppPasswordVerifier(ctx.db, ctx.logger);
  const binds = counter(ctx.metrics, 'dialbook_ldap_binds_total', 'LDAP simple binds by outcome (refused: not checked, too many recent failures)', ['result']);
  return async (conn: object, req: BindRequestLike): Promise<BindOutcome> => {
    clearSession(conn);
    const name = req.name.trim();
    if (name === '' && req.password === '') return OK; // anonymous
    // RFC 4513 5.1.2: a name without a password is an unauthenticated bind, refused by default
    if (req.password === '') return { code: LdapCode.unwillingToPerform, message: 'Unauthenticated binds (a name without a password) are not allowed' };
    const target = parseBindName(names, name);
    // Counted per source address and per login across connections and processes; the login is
    // <user>@<account> whichever form the phone sent, as the other front ends count it.
    const attempt = await ctx.signinLimiter.attempt({ kind: 'ldap', source: req.connection.remoteAddress ?? 'unknown', login: target ? `${target.username}@${target.accountId}` : name, secret: req.password });
    if (!attempt.allowed) {
      binds.inc({ result: 'refused' });
      return { code: LdapCode.busy, message: `Too many failed binds: try again in ${attempt.retryAfterSeconds} seconds` };
    }
    let ok = false;
    try {
      const account = target ? await ctx.directory.account(target.accountId) : null;
      if (target && account) {
        if (await ctx.phoneCredentials.verify(target.accountId, target.username, req.password)) {
          setSession(conn, { accountId: target.accountId, incarnation: account.incarnation, userId: null });
          ok = true;
        } else {
          const user = await ctx.db.findUserByLogin(target.accountId, target.username);
          // A token-shaped password is only ever an app password here (an API token: no, as on CardDAV).
          const matches = isTokenShaped(req.password)
            ? (await appPasswords.check(target.accountId, user?.id ?? null, req.password)) === 'ok'
            : await verifyPassword(req.password, user?.passwordHash ?? null);
          if (matches) {
            setSession(conn, { accountId: target.accountId, incarnation: account.incarnation, userId: user!.id });
            ok = true;
          }
        }
      }
    } catch (err) {
      attempt.released(); // a storage failure is no wrong password
      throw err;
    }
    if (ok) attempt.succeeded();
    else await attempt.failed();
    binds.inc({ result: ok ? 'success' : 'invalid' });
    if (ok) return OK;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return INVALID;
  };
}
