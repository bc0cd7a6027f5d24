// Simple binds: the account's phone credentials or a user's own, given as a DN
// (cn=<user>,o=<account>,<suffix>) or as <user>@<account>. Failures are slowed per address.
import type { AppContext } from '../app-context.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { type DirectoryNames, parseAtName } from './ldap-dn.ts';
import { clearSession, setSession } from './ldap-session.ts';

export interface BindRequestLike {
  dn: { toString(): string };
  credentials: string;
  connection: { remoteAddress?: string };
}

/** Recent failures per source address, for the growing delay. */
class FailureTracker {
  private readonly failures = new Map<string, { count: number; at: number }>();
  constructor(private readonly delayMs: number) {}

  delayFor(address: string): number {
    const f = this.failures.get(address);
    if (!f || Date.now() - f.at > 15 * 60_000) return 0;
    return Math.min(f.count, 10) * this.delayMs;
  }
  fail(address: string): void {
    const f = this.failures.get(address);
    this.failures.set(address, { count: (f && Date.now() - f.at < 15 * 60_000 ? f.count : 0) + 1, at: Date.now() });
    if (this.failures.size > 100_000) this.failures.clear();
  }
  succeed(address: string): void {
    this.failures.delete(address);
  }
}

export function bindHandler(ctx: AppContext, names: DirectoryNames) {
  const tracker = new FailureTracker(ctx.config.ldap.failedBindDelayMs);
  return async (conn: object, req: BindRequestLike): Promise<boolean> => {
    clearSession(conn);
    const address = req.connection.remoteAddress ?? 'unknown';
    const target = resolveName(names, originalNameOf(req) ?? req.dn.toString());
    const password = String(req.credentials ?? '');
    let ok = false;
    if (target && ctx.store.getAccount(target.accountId)) {
      if (ctx.phoneCredentials.verify(target.accountId, target.username, password)) {
        setSession(conn, { accountId: target.accountId, userId: null });
        ok = true;
      } else {
        const user = ctx.store.findUserByLogin(target.accountId, target.username);
        if (await verifyPassword(password, user?.passwordHash ?? null)) {
          setSession(conn, { accountId: target.accountId, userId: user!.id });
          ok = true;
        }
      }
    }
    if (ok) {
      tracker.succeed(address);
      return true;
    }
    const delay = tracker.delayFor(address);
    tracker.fail(address);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return false;
  };
}

function resolveName(names: DirectoryNames, name: string): { accountId: string; username: string } | null {
  const at = parseAtName(name);
  if (at) return at;
  const parsed = names.parse(name);
  return parsed.kind === 'bindName' ? { accountId: parsed.accountId, username: parsed.username } : null;
}

// Bind names that are not DNs are swapped for a placeholder DN before ldapjs parses them (it
// would answer invalidDNSyntax); the original is kept here for the handler.
const originalNames = new WeakMap<object, string>();
export const rememberOriginalName = (req: object, name: string) => void originalNames.set(req, name);
const originalNameOf = (req: object) => originalNames.get(req);
