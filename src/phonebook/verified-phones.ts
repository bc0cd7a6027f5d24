// Phone credentials that proved right, remembered so that the next request with the very same
// Authorization header (or path token) skips the sign-in limiter and the credential check: a
// phone polls its phonebook every few minutes with the same header, and at 304 rates the
// limiter's keyed hash and the verify were a tenth of the request's CPU (bench/README.md).
// Only right credentials are remembered, so every wrong one still goes through the limiter and
// counts on every instance. What is kept is a keyed hash of what was presented (never the
// secret), the account it opened, and the account version it was checked at: any change to
// the account (a new password, a rotated token, a contact written) moves its revision in the
// read model, and the next request checks the credential again. Entries also expire (TTL_MS),
// and the map is bounded (oldest out first).
import { hash, randomBytes } from 'node:crypto';
import type { Account } from '../domain/account-schemas.ts';

interface Verified {
  accountId: string;
  incarnation: string;
  revision: number;
  until: number;
}

/** A right credential is checked again at least this often, even if the account never changes. */
const TTL_MS = 60_000;
const MAX_ENTRIES = 20_000;

export class VerifiedPhones {
  /** Per-process key: marks are never stored or compared across processes. */
  private readonly key = randomBytes(32).toString('base64');
  private readonly entries = new Map<string, Verified>();

  constructor(private readonly clock: () => number = Date.now, private readonly maxEntries = MAX_ENTRIES) {}

  /**
   * The mark of a presented credential for a route: SHA-256 over a random 256-bit key followed by
   * the route and what was presented. A plain prefix-keyed hash (not HMAC) because the mark is
   * only a map key inside this process (never shown, so length extension gains nothing), and it
   * is a third of an HMAC's cost.
   */
  mark(route: string, presented: string): string {
    return hash('sha256', `${this.key}\u0000${route}\u0000${presented}`, 'base64');
  }

  /** The entry for a mark while it is fresh; the caller still compares the account's version. */
  get(mark: string): Verified | undefined {
    const e = this.entries.get(mark);
    if (e && e.until <= this.clock()) {
      this.entries.delete(mark);
      return undefined;
    }
    return e;
  }

  /** The entry still matches the account as the read model holds it now. */
  static current(e: Verified, account: Account | null): account is Account {
    return account !== null && account.id === e.accountId && account.incarnation === e.incarnation && account.revision === e.revision;
  }

  remember(mark: string, account: Account): void {
    this.entries.delete(mark);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(mark, { accountId: account.id, incarnation: account.incarnation, revision: account.revision, until: this.clock() + TTL_MS });
  }

  forget(mark: string): void {
    this.entries.delete(mark);
  }

  get size(): number {
    return this.entries.size;
  }
}
