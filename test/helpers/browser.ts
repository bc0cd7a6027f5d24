// Waiting on the portal in a real browser (playwright-core) without racing it.
import type { Page, Request } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Options for expect.poll on what the page shows. Vitest's default (1 s) is tight on a loaded CI
 * machine when the awaited thing is a browser render after a request, a few of them chained, or
 * an import that runs in worker threads.
 */
export const UI = { timeout: 15_000 } as const;

export interface ApiTraffic {
  /**
   * Resolves once none of the page's API requests (fetch/XHR to /api/) is in flight and the
   * page has had a turn to run what it does with the last answers. The portal's pages write
   * their answers into the page that asked (web/pages/*.js): a page left while its requests are
   * in flight writes into the next one, which throws (a console error) or overwrites it.
   */
  idle(): Promise<void>;
}

/** Counts the page's API requests from now on: install it before the page makes any. */
export function trackApi(page: Page): ApiTraffic {
  const pending = new Set<Request>();
  const isApi = (r: Request) => (r.resourceType() === 'fetch' || r.resourceType() === 'xhr') && new URL(r.url()).pathname.startsWith('/api/');
  page.on('request', (r) => { if (isApi(r)) pending.add(r); });
  page.on('requestfinished', (r) => { pending.delete(r); });
  page.on('requestfailed', (r) => { pending.delete(r); });
  return {
    async idle() {
      await expect.poll(() => pending.size, UI).toBe(0);
      // the answers' bodies are in; let the page parse them and render before the next action
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    },
  };
}
