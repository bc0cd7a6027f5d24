// GET /api/v1/accounts/{account}/provisioning/{vendor}: the lines to paste into a vendor's phone
// provisioning, with this server's URLs and the account's phone credentials (managers only).
// The lines themselves come from the phonebook front end (src/phonebook/provisioning-lines.ts).
import { Router } from 'express';
import type { AppContext } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';
import { provisioningLines } from '../phonebook/provisioning-lines.ts';
import type { VendorRegistry } from '../phonebook/vendor-registry.ts';
import { accountOf } from './principal.ts';
import { declare } from './route-spec.ts';

export function provisioningRoutes(ctx: AppContext, registry: VendorRegistry): Router {
  const router = Router({ mergeParams: true });
  declare(router, '/accounts/{account}/provisioning', { method: 'get', path: '/', summary: 'Vendors with provisioning lines', permission: 'manager', tag: 'phonebooks' },
    () => ({ items: registry.vendors.map((v) => ({ vendor: v.descriptor.vendor, title: v.descriptor.title })) }));
  declare(router, '/accounts/{account}/provisioning', { method: 'get', path: '/:vendor', summary: 'Config lines to paste into a vendor\'s phone provisioning', permission: 'manager', tag: 'phonebooks' },
    async (req, res) => {
      const vendor = registry.byName(String(req.params.vendor));
      if (!vendor) throw new NotFoundError(`Vendor "${req.params.vendor}"`);
      const account = accountOf(req);
      const creds = await ctx.phoneCredentials.get(account.id);
      if (!creds) throw new NotFoundError('Phone credentials (set them with PUT .../phone-credentials first)');
      const origin = ctx.config.publicUrl ?? `${req.protocol}://${req.get('host')}`;
      const lines = provisioningLines(ctx, vendor, account, creds, origin);
      if (req.accepts(['json', 'text']) === 'text') {
        res.type('text/plain').send(lines.join('\n') + '\n');
        return;
      }
      return { vendor: vendor.descriptor.vendor, title: vendor.descriptor.title, lines, text: lines.join('\n') + '\n' };
    });
  return router;
}
