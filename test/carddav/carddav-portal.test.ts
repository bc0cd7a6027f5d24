// The portal's "Mobile and desktop apps" part in a real browser (Chromium through playwright-core,
// Debian's or the npm build: test/helpers/programs.ts): a basic user finds the address and user name, creates an app password that
// then opens CardDAV, and revokes it.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackApi, UI, type ApiTraffic } from '../helpers/browser.ts';
import { chromiumLaunch } from '../helpers/programs.ts';
import { dav, PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';

let f: DavFixture;
let browser: Browser;
let page: Page;
let api: ApiTraffic;
const consoleErrors: string[] = [];

describe('portal: Mobile and desktop apps', () => {
  beforeAll(async () => {
    f = await startDavFixture();
    const { executablePath, args } = await chromiumLaunch();
    browser = await chromium.launch({ executablePath, headless: true, args });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    api = trackApi(page);
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('dialog', (d) => void d.accept());
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await f?.server.close();
  });

  it('shows a basic user the CardDAV address and steps, and manages app passwords that open CardDAV', async () => {
    await page.goto(f.server.httpUrl + '/');
    await page.getByLabel('Account').fill('acme');
    await page.getByLabel('Username or email').fill('bob');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORDS.bob);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Signing in lands on Contacts, which loads its list; leaving it before the list arrives makes
    // the page write it into Phone set-up (a TypeError, a console error): let it load first.
    await expect.poll(() => page.locator('#count').textContent(), UI).toMatch(/contact\(s\)$/);
    await api.idle();
    await page.getByRole('link', { name: 'Phone set-up' }).click();
    await expect.poll(() => page.locator('#dav-url').textContent(), UI).toBe(`${f.server.httpUrl}/carddav/`);
    expect(await page.locator('#dav-user').textContent()).toBe('bob@acme');
    const text = await page.locator('#apps').textContent();
    for (const app of ['iPhone and iPad (iOS)', 'Android (DAVx⁵)', 'Thunderbird']) expect(text).toContain(app);
    // Phone credentials and vendor lines stay for managers.
    expect(await page.locator('#creds').count()).toBe(0);

    // the page's first load of the app-password list answers before the create's reload does
    await api.idle();
    await page.getByLabel('Device name').fill('Work phone');
    await page.getByRole('button', { name: 'Create app password' }).click();
    await expect.poll(() => page.locator('#app-secret').count(), UI).toBe(1);
    const secret = (await page.locator('#app-secret').textContent())!;
    // The secret shows first, then the list reloads (so a failed reload never hides the secret): wait for it.
    await expect.poll(() => page.locator('#app-list').textContent(), UI).toContain('Work phone');
    const ok = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/', { login: 'bob@acme', password: secret, depth: '0' });
    expect(ok.status).toBe(207);

    await page.locator('#app-list tr', { hasText: 'Work phone' }).getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.locator('#app-list').textContent(), UI).not.toContain('Work phone');
    const revoked = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/', { login: 'bob@acme', password: secret, depth: '0' });
    expect(revoked.status).toBe(401);
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
