// Phone credentials: one username/password pair per account, used by the XML phonebooks (HTTP
// Basic) and LDAP binds, plus an unguessable path token for phones that cannot send credentials.
// The password is sealed at rest and compared in constant time, so checking it costs microseconds
// (phones ask thousands of times a day).
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import type { SecretBox } from './secret-box.ts';
import { sameSecret } from './api-tokens.ts';
import type { Actor } from '../domain/audit.ts';

export interface PhoneCredentials {
  username: string;
  password: string;
  pathToken: string;
}

export class PhoneCredentialService {
  /** Opened passwords by sealed value: opening (AES-GCM) on every phone request is wasted work. */
  private readonly opened = new Map<string, string>();

  constructor(private readonly store: Store, private readonly box: SecretBox) {}

  private open(sealed: string): string {
    let plain = this.opened.get(sealed);
    if (plain === undefined) {
      plain = this.box.open(sealed);
      if (this.opened.size > 10_000) this.opened.clear();
      this.opened.set(sealed, plain);
    }
    return plain;
  }

  set(accountId: string, username: string, password: string, actor: Actor): PhoneCredentials {
    const existing = this.store.getPhoneCredentials(accountId);
    const pathToken = existing?.pathToken ?? randomBytes(24).toString('base64url');
    this.store.setPhoneCredentials(accountId, { username, secretSealed: this.box.seal(password), pathToken }, actor);
    return { username, password, pathToken };
  }

  /** A new path token; the old one stops working at once. */
  rotatePathToken(accountId: string, actor: Actor): string | null {
    const existing = this.store.getPhoneCredentials(accountId);
    if (!existing) return null;
    const pathToken = randomBytes(24).toString('base64url');
    this.store.setPhoneCredentials(accountId, { ...existing, pathToken }, actor);
    return pathToken;
  }

  clear(accountId: string, actor: Actor): void {
    this.store.setPhoneCredentials(accountId, null, actor);
  }

  get(accountId: string): PhoneCredentials | null {
    const c = this.store.getPhoneCredentials(accountId);
    return c ? { username: c.username, password: this.open(c.secretSealed), pathToken: c.pathToken } : null;
  }

  verify(accountId: string, username: string, password: string): boolean {
    const c = this.store.getPhoneCredentials(accountId);
    if (!c) return false;
    const okUser = sameSecret(username, c.username);
    const okPass = sameSecret(password, this.open(c.secretSealed));
    return okUser && okPass;
  }

  accountForPathToken(pathToken: string): string | null {
    return this.store.findAccountByPathToken(pathToken);
  }
}
