// App passwords: the secret a user makes for the apps on one device. They open CardDAV
// (carddav-auth.ts) and an LDAP bind as their user (ldap-bind.ts), and nothing else: the admin
// API refuses them (src/api/app-password-scope.ts), and API tokens do not open the apps.
// Each use is checked against the store, never remembered in memory: a revocation, or a
// password change that ends them, holds at once on every instance.
import type { Logger } from 'pino';
import type { AsyncStore } from '../store/async-store.ts';
import { hashToken, sameHash } from './api-tokens.ts';

const TOUCH_INTERVAL_MS = 60_000;
const MAX_TOUCHED = 10_000;

/** A password of this shape is taken for a token (newToken), never for the user's own password. */
export const isTokenShaped = (secret: string): boolean => secret.startsWith('dbk_');

/** ok: an app password of this user. api-token: a valid token of the user that is no app password. */
export type AppPasswordCheck = 'ok' | 'api-token' | 'unknown';

export class AppPasswordVerifier {
  private readonly touched = new Map<string, number>();

  constructor(private readonly db: Pick<AsyncStore, 'findTokenByHash' | 'touchToken'>, private readonly logger: Logger) {}

  /** Whether `secret` is an app password of the user. Looks up even for an unknown user, so both take as long. */
  async check(accountId: string | null, userId: string | null, secret: string): Promise<AppPasswordCheck> {
    const hash = hashToken(secret);
    const t = await this.db.findTokenByHash(hash);
    if (!t || !sameHash(t.tokenHash, hash) || !accountId || !userId || t.accountId !== accountId || t.userId !== userId) return 'unknown';
    if (t.kind !== 'app-password') return 'api-token';
    this.touch(t.id);
    return 'ok';
  }

  private touch(tokenId: string): void {
    const t = Date.now();
    if ((this.touched.get(tokenId) ?? 0) > t - TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= MAX_TOUCHED) this.touched.clear();
    this.touched.set(tokenId, t);
    // Not awaited: "last used" is not worth holding a sign-in for (the write may queue behind an
    // import), and a failure to note it is no reason to refuse one.
    this.db.touchToken(tokenId).catch((err: unknown) => this.logger.warn({ err }, 'could not note an app password\'s use'));
  }
}
