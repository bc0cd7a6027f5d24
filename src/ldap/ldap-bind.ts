// Simple binds: the account's phone credentials or a user's own, given as a DN
// (cn=<user>,o=<account>,<suffix>) or as <user>@<account>. An empty name with an empty password
// is an anonymous bind. Failures are slowed per address.
import type { AppContext } from '../app-context.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { type DirectoryNames, parseAtName } from './ldap-dn.ts';
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

const OK: BindOutcome = { code: 0, message: '' };
const INVALID: BindOutcome = { code: 49, message: 'Invalid credentials' };

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
  return async (conn: object, req: BindRequestLike): Promise<BindOutcome> => {
    clearSession(conn);
    const name = req.name.trim();
    if (name === '' && req.password === '') return OK; // anonymous
    // RFC 4513 5.1.2: a name without a password is an unauthenticated bind, refused by default
    if (req.password === '') return { code: 53, message: 'Unauthenticated binds (a name without a password) are not allowed' };
    const address = req.connection.remoteAddress ?? 'unknown';
    const target = resolveName(names, name);
    let ok = false;
    if (target && ctx.store.getAccount(target.accountId)) {
      if (ctx.phoneCredentials.verify(target.accountId, target.username, req.password)) {
        setSession(conn, { accountId: target.accountId, userId: null });
        ok = true;
      } else {
        const user = ctx.store.findUserByLogin(target.accountId, target.username);
        if (await verifyPassword(req.password, user?.passwordHash ?? null)) {
          setSession(conn, { accountId: target.accountId, userId: user!.id });
          ok = true;
        }
      }
    }
    if (ok) {
      tracker.succeed(address);
      return OK;
    }
    const delay = tracker.delayFor(address);
    tracker.fail(address);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return INVALID;
  };
}

function resolveName(names: DirectoryNames, name: string): { accountId: string; username: string } | null {
  const at = parseAtName(name);
  if (at) return at;
  const parsed = names.parse(name);
  return parsed.kind === 'bindName' ? { accountId: parsed.accountId, username: parsed.username } : null;
}
