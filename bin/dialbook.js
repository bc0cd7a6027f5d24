#!/usr/bin/env node
// The `dialbook` command: runs the compiled JavaScript in dist/ (built by `npm ci` through the
// prepare script, or `npm run build`). Development runs the sources with `npm run dev` (tsx).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('dialbook: dist/ is missing; run `npm run build` (or `npm ci`, which builds) first\n');
  process.exit(1);
}
await import(main.href);
