// What every front end receives: built once at start by server.ts, passed down explicitly.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config/config-schema.ts';
import type { AsyncStore } from './store/async-store.ts';
import type { SecretBox } from './auth/secret-box.ts';
import type { PhoneCredentialService } from './auth/phone-credentials.ts';
import type { Directory } from './directory/directory.ts';
import type { SigninLimiter } from './auth/signin-limiter.ts';

export interface AppContext {
  config: Config;
  /** The store every caller awaits: SQLite by default, PostgreSQL with database.url (issue 19). */
  db: AsyncStore;
  logger: Logger;
  secrets: SecretBox;
  phoneCredentials: PhoneCredentialService;
  metrics: Registry;
  /** In-memory read model of each account's directory: what phone searches are answered from. */
  directory: Directory;
  /** Every credential check asks it first (portal, API tokens, phonebooks, LDAP, CardDAV). */
  signinLimiter: SigninLimiter;
}
