// Portal sessions, kept in the store so they survive a restart: random cookie values of which
// only a SHA-256 hash is stored, sliding expiry, and a CSRF token derived from the cookie value
// (so nothing in the database is enough to act as the user).
import { createHash, randomBytes } from 'node:crypto';
import type { AsyncSessionStore, SessionRecord } from '../store/async-store.ts';

export interface Session {
  /** Public id: shown in session lists, used to end one session. */
  id: string;
  /** The cookie value; never stored. */
  token: string;
  csrf: string;
  /** null for the platform admin */
  accountId: string | null;
  userId: string | null;
  expiresAt: number;
  /** When the user last proved their password here (sign-in, or re-authentication). */
  authenticatedAt: number;
}

/** A session as its owner or a manager sees it. */
export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string;
  ip: string;
}

// Sliding expiry is written at most this often per session: not one write per request.
const TOUCH_EVERY_MS = 60_000;

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
const csrfOf = (token: string) => createHash('sha256').update('csrf:' + token).digest('base64url');

export class SessionStore {
  constructor(private readonly store: AsyncSessionStore, private readonly ttlMs: number) {}

  async create(accountId: string | null, userId: string | null, client: { userAgent?: string; ip?: string } = {}): Promise<Session> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const record: SessionRecord = {
      id: randomBytes(12).toString('base64url'), tokenHash: hash(token), accountId, userId, createdAt: now, authenticatedAt: now, lastSeenAt: now, expiresAt: now + this.ttlMs,
      userAgent: (client.userAgent ?? '').slice(0, 200), ip: (client.ip ?? '').slice(0, 64),
    };
    await this.store.createSession(record);
    return { id: record.id, token, csrf: csrfOf(token), accountId, userId, expiresAt: record.expiresAt, authenticatedAt: now };
  }

  /** The session for a cookie value, or null when unknown or expired (an expired one is removed). */
  async get(token: string): Promise<Session | null> {
    const r = await this.store.findSessionByHash(hash(token));
    if (!r) return null;
    const now = Date.now();
    if (r.expiresAt < now) {
      await this.store.deleteSession(r.id);
      return null;
    }
    let expiresAt = r.expiresAt;
    if (now - r.lastSeenAt >= TOUCH_EVERY_MS) {
      expiresAt = now + this.ttlMs;
      await this.store.touchSession(r.id, now, expiresAt);
    }
    return { id: r.id, token, csrf: csrfOf(token), accountId: r.accountId, userId: r.userId, expiresAt, authenticatedAt: r.authenticatedAt };
  }

  /** The user proved their password again in this session. */
  async markAuthenticated(id: string, at = Date.now()): Promise<void> {
    await this.store.markSessionAuthenticated(id, at);
  }

  async delete(id: string): Promise<void> {
    await this.store.deleteSession(id);
  }

  async list(accountId: string, userId: string): Promise<SessionInfo[]> {
    return (await this.store.listUserSessions(accountId, userId, Date.now())).map((r) => ({
      id: r.id, createdAt: iso(r.createdAt), lastSeenAt: iso(r.lastSeenAt), expiresAt: iso(r.expiresAt), userAgent: r.userAgent, ip: r.ip,
    }));
  }

  /** Ends one of the user's own sessions; false when it is not theirs (or gone). */
  endOwn(accountId: string, userId: string, id: string): Promise<boolean> {
    return this.store.deleteSession(id, { accountId, userId });
  }

  endAll(accountId: string, userId: string): Promise<number> {
    return this.store.deleteUserSessions(accountId, userId);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
