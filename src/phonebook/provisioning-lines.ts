// The lines to paste into a vendor's phone provisioning: the descriptor's provisioning templates
// filled with this server's URLs and the account's phone credentials. The admin API serves them
// (src/api/provisioning-routes.ts); this file knows nothing about HTTP routing.
import type { AppContext } from '../app-context.ts';
import type { Vendor } from './vendor-registry.ts';

export function provisioningLines(ctx: AppContext, vendor: Vendor, account: { id: string }, creds: { username: string; password: string; pathToken: string }, origin: string): string[] {
  const base = origin.replace(/\/$/, '');
  const tokenUrl = `${base}/phonebook/t/${creds.pathToken}`;
  const data = {
    account: account.id,
    url: `${base}/phonebook/${account.id}`,
    tokenUrl,
    // Grandstream's P331 is host/path without a scheme; P330 says HTTP or HTTPS.
    tokenHostPath: tokenUrl.replace(/^[a-z]+:\/\//i, ''),
    https: base.toLowerCase().startsWith('https:'),
    host: new URL(base).hostname,
    ldapPort: ctx.config.ldap.port,
    ldapBase: `o=${account.id},${ctx.config.ldap.suffix}`,
    username: creds.username,
    password: creds.password,
  };
  return vendor.provisioning.map((t) => t(data));
}
