// GET /api/v1/accounts/{account}/provisioning/{vendor}: the lines to paste into a vendor's phone
// provisioning, with this server's URLs and the account's phone credentials (managers only).
import { Router } from 'express';
import type { AppContext } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';
import { accountOf } from '../api/principal.ts';
import { declare } from '../api/route-spec.ts';
import type { VendorRegistry } from './vendor-registry.ts';

export function provisioningRoutes(ctx: AppContext, registry: VendorRegistry): Router {
  const router = Router({ mergeParams: true });
  declare(router, '/accounts/{account}/provisioning', { method: 'get', path: '/', summary: 'Vendors with provisioning lines', permission: 'manager', tag: 'phonebooks' },
    () => ({ items: registry.vendors.map((v) => ({ vendor: v.descriptor.vendor, title: v.descriptor.title })) }));
  declare(router, '/accounts/{account}/provisioning', { method: 'get', path: '/:vendor', summary: 'Config lines to paste into a vendor\'s phone provisioning', permission: 'manager', tag: 'phonebooks' },
    (req, res) => {
      const vendor = registry.byName(String(req.params.vendor));
      if (!vendor) throw new NotFoundError(`Vendor "${req.params.vendor}"`);
      const account = accountOf(req);
      const creds = ctx.phoneCredentials.get(account.id);
      if (!creds) throw new NotFoundError('Phone credentials (set them with PUT .../phone-credentials first)');
      const origin = (ctx.config.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/$/, '');
      const tokenUrl = `${origin}/phonebook/t/${creds.pathToken}`;
      const data = {
        account: account.id,
        url: `${origin}/phonebook/${account.id}`,
        tokenUrl,
        // Grandstream's P331 is host/path without a scheme; P330 says HTTP or HTTPS.
        tokenHostPath: tokenUrl.replace(/^[a-z]+:\/\//i, ''),
        https: origin.toLowerCase().startsWith('https:'),
        host: new URL(origin).hostname,
        ldapPort: ctx.config.ldap.port,
        ldapBase: `o=${account.id},${ctx.config.ldap.suffix}`,
        username: creds.username,
        password: creds.password,
      };
      const lines = vendor.provisioning.map((t) => t(data));
      if (req.accepts(['json', 'text']) === 'text') {
        res.type('text/plain').send(lines.join('\n') + '\n');
        return;
      }
      return { vendor: vendor.descriptor.vendor, title: vendor.descriptor.title, lines, text: lines.join('\n') + '\n' };
    });
  return router;
}
