// App passwords never open the admin API. One sits in the contacts app of a phone or laptop
// (CardDAV, or an LDAP bind as its user: src/auth/app-passwords.ts); a lost device must not carry
// its user's role, and a manager's would change shared contacts, users and credentials.
// bearerAuth (auth.ts) refuses them on every /api/v1 route, a route added later included; the
// OpenAPI document marks each operation with x-app-password: false.
import { AppError } from '../errors.ts';

/** Whether an app password may call any admin API route (openapi.ts's x-app-password). */
export const APP_PASSWORDS_OPEN_THE_API = false;

export function appPasswordRefused(): AppError {
  return new AppError(403, 'app_password_not_for_api',
    'An app password opens CardDAV and LDAP only, never the admin API: sign in to the portal, or (managers) use an API token');
}
