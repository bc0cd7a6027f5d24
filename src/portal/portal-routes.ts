// Serves the web portal: static files from web/ (no build step), index.html for app routes.
import express, { Router } from 'express';
import { join } from 'node:path';
import type { AppContext } from '../app-context.ts';
import { PROJECT_ROOT } from '../config/load-config.ts';

export function portalRouter(_ctx: AppContext): Router {
  const root = join(PROJECT_ROOT, 'web');
  const router = Router();
  router.use(express.static(root, { index: 'index.html', maxAge: 0 }));
  router.get(['/', '/contacts', '/shared', '/groups', '/phones', '/history', '/account', '/signin'], (_req, res) => {
    res.sendFile(join(root, 'index.html'));
  });
  return router;
}
