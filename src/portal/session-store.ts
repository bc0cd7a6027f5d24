// Portal sessions, in memory: random ids, a CSRF token each, sliding expiry. Kept behind this
// small class so a persistent store can replace it without touching the middleware.
import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  csrf: string;
  /** null for the platform admin */
  accountId: string | null;
  userId: string | null;
  /** The account the platform admin is looking at. */
  viewAccountId: string | null;
  expiresAt: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  constructor(private readonly ttlMs: number) {}

  create(accountId: string | null, userId: string | null): Session {
    const s: Session = {
      id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'),
      accountId, userId, viewAccountId: accountId, expiresAt: Date.now() + this.ttlMs,
    };
    this.sessions.set(s.id, s);
    if (this.sessions.size > 100_000) this.sweep();
    return s;
  }

  get(id: string): Session | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAt < Date.now()) {
      this.sessions.delete(id);
      return null;
    }
    s.expiresAt = Date.now() + this.ttlMs;
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(id);
  }
}
