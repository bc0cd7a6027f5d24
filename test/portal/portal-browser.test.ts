// The portal in a real browser (Debian's chromium, else the Chromium build from npm, driven by
// playwright-core) against the real server: what a manager and a basic user do, and no console
// errors along the way.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { trackApi, UI, type ApiTraffic } from '../helpers/browser.ts';
import { chromiumLaunch } from '../helpers/programs.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

// Screenshots go to docs/screenshots with UPDATE_SCREENSHOTS=1 (then commit them); otherwise to a
// temp folder, so a test run leaves the work tree as it was.
const SHOTS = process.env.UPDATE_SCREENSHOTS ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dialbook-shots-'));
let srv: TestServer;
let browser: Browser;
const consoleErrors: string[] = [];
const traffic = new Map<Page, ApiTraffic>();
/** Waits until the page has no API request in flight (test/helpers/browser.ts): before leaving a page. */
const idle = (page: Page) => traffic.get(page)!.idle();

beforeAll(async () => {
  srv = await startTestServer();
  await seedAccount(srv.ctx, {
    id: 'acme', name: 'Acme Dental',
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    users: [
      { username: 'olivia', name: 'Olivia Martin', scope: 'office_manager', password: 'olivia-password', extension: '1001' },
      { username: 'bob', name: 'Bob Chen', scope: 'basic', password: 'bob-password-1', extension: '1002' },
    ],
    contacts: [
      { firstName: 'Ana', lastName: 'Pérez', company: 'Bright Smiles Lab', workNumber: '+1 (469) 429-2500', groups: ['Suppliers'] },
      { company: 'Henry Schein Dental', workNumber: '1-800-372-4346', groups: ['Suppliers'] },
      { firstName: 'José', lastName: 'Álvarez', company: 'Álvarez Plumbing', workNumber: '(214) 555-0142', groups: ['Facilities'] },
    ],
  });
  const { executablePath, args } = await chromiumLaunch();
  browser = await chromium.launch({ executablePath, headless: true, args });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

async function newPage(width = 1280, height = 860): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  traffic.set(page, trackApi(page));
  // Chromium logs every 4xx fetch as a console error; a 400 is the API's answer to the invalid
  // input this test types on purpose (and the page shows it). Anything else counts.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 400 \(Bad Request\)/.test(m.text())) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  return page;
}

async function signIn(page: Page, login: string, password: string) {
  await page.goto(srv.httpUrl + '/');
  await page.getByLabel('Account').fill('acme');
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const rows = (page: Page) => page.locator('#rows tr[data-id]');

describe('portal for a manager', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage();
    await signIn(page, 'olivia', 'olivia-password');
    await page.getByRole('heading', { name: 'Shared Contacts' }).waitFor();
  }, 30_000);

  it('lists, searches and filters by group', async () => {
    await expect.poll(() => rows(page).count(), UI).toBe(3);
    await page.getByLabel('Search', { exact: true }).fill('alv');
    await expect.poll(() => rows(page).count(), UI).toBe(1);
    await expect.poll(() => rows(page).first().textContent(), UI).toContain('José Álvarez');
    await page.getByLabel('Search', { exact: true }).fill('');
    // The search runs 200 ms after typing, with the filter of that moment: choosing the group
    // before it ran would send 'alv' + Suppliers, then '' + Suppliers, and whichever answer came
    // last would stay. Wait for the cleared search's list first.
    await expect.poll(() => rows(page).count(), UI).toBe(3);
    await idle(page);
    await page.getByLabel('Group', { exact: true }).selectOption('Suppliers');
    await expect.poll(() => rows(page).count(), UI).toBe(2);
    await page.getByLabel('Group', { exact: true }).selectOption('');
    await page.screenshot({ path: join(SHOTS, 'shared-contacts.png') });
  }, 30_000);

  it('adds with Save and add another, and shows API validation inline', async () => {
    await page.getByRole('button', { name: 'Add Shared Contact' }).click();
    await page.getByLabel('Company', { exact: true }).fill('Bad Number Inc');
    await page.getByLabel('Work number').fill('call me');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('#cf-workNumber-error').textContent(), UI).toMatch(/not a phone number/);
    await page.screenshot({ path: join(SHOTS, 'add-contact.png') });
    await page.getByLabel('Work number').fill('212 555 0100');
    await page.getByRole('button', { name: 'Save and add another' }).click();
    await expect.poll(() => page.locator('#cf-error').textContent(), UI).toContain('Saved');
    await page.getByLabel('First name').fill('Second');
    await page.getByLabel('Last name').fill('Person');
    await page.getByLabel('Mobile number').fill('212 555 0101');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => rows(page).count(), UI).toBe(5);
  }, 30_000);

  it('edits and deletes (with undo)', async () => {
    const row = rows(page).filter({ hasText: 'Second Person' });
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Title').fill('Buyer');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => rows(page).filter({ hasText: 'Buyer' }).count(), UI).toBe(1);
    await rows(page).filter({ hasText: 'Second Person' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => rows(page).count(), UI).toBe(4);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => rows(page).count(), UI).toBe(5);
  }, 30_000);

  it('exports a CSV download', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    const file = join(mkdtempSync(join(tmpdir(), 'dialbook-dl-')), 'export.csv');
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('Henry Schein Dental');
  }, 30_000);

  it('imports with a preview, then a confirmation', async () => {
    const csv = join(mkdtempSync(join(tmpdir(), 'dialbook-up-')), 'new.csv');
    writeFileSync(csv, 'First Name;Last Name;Mobile Phone\nImported;One;214 555 0177\nBroken;Row;not a number\n');
    await page.getByLabel(/^Spreadsheet or address book/).setInputFiles(csv);
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.locator('.preview').textContent(), UI).toContain('1 to create');
    await expect.poll(() => page.locator('table.errors').textContent(), UI).toContain('not a number');
    await page.screenshot({ path: join(SHOTS, 'import-preview.png'), fullPage: true });
    await page.getByRole('button', { name: /^Import 1 contact/ }).click();
    await expect.poll(() => page.locator('#import-result').textContent(), UI).toContain('Import done: 1 created');
    // the page reloads the list after the import: that answer must not land after the search's
    await idle(page);
    await page.getByLabel('Search', { exact: true }).fill('imported');
    await expect.poll(() => rows(page).count(), UI).toBe(1);
  }, 30_000);

  it('shows phone set-up lines and the change history', async () => {
    // Each page writes its answers into the page that is shown then: leave one only once its
    // requests are answered (else a TypeError, a console error, or another page overwritten).
    await idle(page);
    await page.getByRole('link', { name: 'Phone set-up' }).click();
    await expect.poll(() => page.locator('#lines-yealink').textContent(), UI).toContain('remote_phonebook.data.1.url');
    await page.screenshot({ path: join(SHOTS, 'phone-setup.png') });
    await idle(page); // the app-password list, loaded after the vendor lines
    await page.getByRole('link', { name: 'Change history' }).click();
    await expect.poll(() => page.locator('tbody').textContent(), UI).toContain('contact.delete');
    await page.getByRole('link', { name: 'Groups' }).click();
    // the page's first list (without VIP) is in before the create's reload
    await expect.poll(() => page.locator('.group-list li').count(), UI).toBeGreaterThan(0);
    await idle(page);
    await page.getByLabel('New group').fill('VIP');
    await page.getByRole('button', { name: 'Create group' }).click();
    await expect.poll(() => page.locator('.group-list').textContent(), UI).toContain('VIP');
  }, 30_000);

  it('previews address-book exports with the detected source, the mapping and the warnings', async () => {
    await page.getByRole('link', { name: 'Shared Contacts' }).click();
    await page.getByRole('heading', { name: 'Shared Contacts' }).waitFor();
    const fixtures = resolve(import.meta.dirname, '../../fixtures/import');
    const expected: [string, string, string][] = [
      ['google-contacts.csv', 'Google Contacts export', 'Phone 1 - Label / Phone 1 - Value'],
      ['outlook-contacts.csv', 'Outlook export', 'Business Phone 2'],
      ['vcard-4.0-rfc6350.vcf', 'vCards', 'TEL;TYPE=CELL'],
      ['vcard-3.0-iphone.vcf', 'vCards', 'CATEGORIES'],
      ['vcard-2.1-quoted-printable.vcf', 'vCards', 'ORG'],
    ];
    // The previous file's preview stays on screen until the next one's answer replaces it (two
    // vCard files both read as 'vCards'): mark it, and read only an unmarked one.
    const preview = async (file: string) => {
      await page.evaluate(() => document.querySelector('#import-result .preview')?.setAttribute('data-shown', 'before'));
      await page.getByLabel(/^Spreadsheet or address book/).setInputFiles(join(fixtures, file));
      await page.getByRole('button', { name: 'Preview' }).click();
      return '#import-result .preview:not([data-shown])';
    };
    for (const [file, source, column] of expected) {
      const shown = await preview(file);
      await expect.poll(() => page.locator(`${shown} #import-source`).textContent(), UI).toContain(source);
      await expect.poll(() => page.locator(`${shown} .mapping`).textContent(), UI).toContain(column);
    }
    const shown = await preview('google-contacts.csv');
    await expect.poll(() => page.locator(`${shown} #import-source`).textContent(), UI).toContain('Google Contacts export');
    await expect.poll(() => page.locator(`${shown} table.warnings`).textContent(), UI).toContain('not a valid number for region US');
    await page.getByRole('button', { name: /^Import 4 contact/ }).click();
    await expect.poll(() => page.locator('#import-result').textContent(), UI).toContain('Import done: 4 created');
    const stored = (await srv.ctx.db.allContacts('acme', { source: 'shared' })).find((c) => c.company === 'Bäckerei Müller GmbH');
    expect(stored?.numbers[0]).toMatchObject({ raw: '030 52037728', e164: null });
  }, 60_000);

  it('pages the shared list with the keyset cursor', async () => {
    await srv.ctx.db.applyBatch('acme', { source: 'shared' }, Array.from({ length: 60 }, (_, i) => ({
      op: 'create' as const, contact: prepareContact({ lastName: `Paged${String(i).padStart(2, '0')}`, workNumber: `214-555-${2000 + i}` }, 'US'),
    })), { id: 'test' });
    // leave each page only once it has its answers (the list reloaded after the last import, then
    // the groups), or it writes them into the next page: a TypeError, a console error
    await idle(page);
    await page.getByRole('link', { name: 'Groups' }).click();
    await expect.poll(() => page.locator('.group-list li').count(), UI).toBeGreaterThan(0);
    await idle(page);
    await page.getByRole('link', { name: 'Shared Contacts' }).click();
    await expect.poll(() => page.locator('#range').textContent(), UI).toMatch(/^1–50 of \d+$/);
    const total = Number((await page.locator('#range').textContent())!.split(' of ')[1]);
    const next = page.waitForRequest((r) => /\/contacts\?.*after=/.test(r.url()));
    await page.getByRole('button', { name: 'Next' }).click();
    await next;
    await expect.poll(() => page.locator('#range').textContent(), UI).toBe(`51–${Math.min(100, total)} of ${total}`);
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => page.locator('#range').textContent(), UI).toBe(`1–50 of ${total}`);
    await expect.poll(() => page.getByRole('button', { name: 'Previous' }).isDisabled(), UI).toBe(true);
  }, 60_000);
});

describe('portal for the platform admin', () => {
  it('signs in with the admin token and switches between accounts', async () => {
    await seedAccount(srv.ctx, { id: 'globex', name: 'Globex Clinic', contacts: [{ company: 'Globex Only Supplier', workNumber: '3125550100' }] });
    const page = await newPage();
    await page.goto(srv.httpUrl + '/');
    await page.getByText('Platform admin', { exact: true }).click();
    await page.getByLabel('Admin token').fill(srv.adminToken);
    await page.getByRole('button', { name: 'Sign in as platform admin' }).click();
    await page.getByRole('heading', { name: 'Shared Contacts' }).waitFor();
    await expect.poll(() => rows(page).filter({ hasText: 'Henry Schein' }).count(), UI).toBe(1);
    // sign-in renders the page twice (the call and the hash change): both of acme's lists are in
    // before globex's is asked for, so neither can land after it
    await idle(page);
    await page.locator('#account-switch').selectOption('globex');
    await expect.poll(() => rows(page).count(), UI).toBe(1);
    await expect.poll(() => rows(page).first().textContent(), UI).toContain('Globex Only Supplier');
  }, 30_000);
});

describe('portal navigation', () => {
  it('a page left before its answers arrive writes nothing into the page shown next', async () => {
    const page = await newPage();
    await signIn(page, 'olivia', 'olivia-password');
    await page.getByRole('heading', { name: 'Shared Contacts' }).waitFor();
    await expect.poll(() => rows(page).count(), UI).toBeGreaterThan(0);
    await idle(page);
    await page.getByRole('link', { name: 'Change history' }).click();
    await page.getByRole('heading', { name: 'Change history' }).waitFor();
    await idle(page);
    // From now on the shared list and the groups answer half a second late.
    await page.route(/\/api\/v1\/accounts\/acme\/(groups|contacts)(\?|$)/, async (r) => {
      if (r.request().method() === 'GET') await new Promise((ok) => setTimeout(ok, 500));
      await r.continue();
    });
    const errorsBefore = consoleErrors.length;
    await page.getByRole('link', { name: 'Shared Contacts' }).click();
    await page.getByRole('heading', { name: 'Shared Contacts' }).waitFor();
    await page.getByRole('link', { name: 'Phone set-up' }).click();
    await page.getByRole('heading', { name: 'Phone set-up' }).waitFor();
    await idle(page); // the late answers are in, and the page has had its turn to handle them
    expect(consoleErrors.slice(errorsBefore)).toEqual([]);
    await expect.poll(() => page.getByRole('heading', { name: 'Phone set-up' }).count(), UI).toBe(1);
    expect(await page.getByRole('heading', { name: 'Shared Contacts' }).count()).toBe(0);
    expect(await rows(page).count()).toBe(0);
    await page.close();
  }, 60_000);

  it('shows the answer to the newest list request, not a slower older one', async () => {
    const page = await newPage();
    await signIn(page, 'olivia', 'olivia-password');
    await expect.poll(() => rows(page).count(), UI).toBeGreaterThan(0);
    await idle(page);
    const suppliers = (await srv.ctx.db.allContacts('acme', { source: 'shared' })).filter((c) => c.groups.includes('Suppliers')).length;
    const all = (await srv.ctx.db.allContacts('acme', { source: 'shared' })).length;
    expect(all).toBeGreaterThan(suppliers);
    // the next list request (a new sort, all groups) answers 800 ms late; the one after at once
    let delayed = false;
    await page.route(/\/api\/v1\/accounts\/acme\/contacts\?/, async (r) => {
      if (!delayed) { delayed = true; await new Promise((ok) => setTimeout(ok, 800)); }
      await r.continue();
    });
    const slow = page.waitForRequest((r) => /\/contacts\?/.test(r.url()));
    await page.getByLabel('Sort').selectOption({ index: 1 });
    await slow;
    await page.getByLabel('Group', { exact: true }).selectOption('Suppliers');
    await idle(page);
    expect(await rows(page).count()).toBe(suppliers);
    await page.close();
  }, 60_000);
});

describe('portal for a basic user', () => {
  it('shows the Contacts page read-only for shared entries, with the source filter', async () => {
    const page = await newPage();
    await signIn(page, 'bob', 'bob-password-1');
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'Shared Contacts' }).count(), UI).toBe(0);
    await expect.poll(() => rows(page).count(), UI).toBeGreaterThan(4);
    expect(await rows(page).filter({ hasText: 'Henry Schein' }).getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Add personal contact' }).click();
    await page.getByLabel('First name').fill('Mum');
    await page.getByLabel('Mobile number').fill('214 555 0199');
    // The Personal list is asked for only once the save is stored, or it could come back empty.
    const saved = page.waitForResponse((r) => r.request().method() === 'POST' && /\/contacts$/.test(new URL(r.url()).pathname));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    expect((await saved).status()).toBe(201);
    await page.getByRole('button', { name: 'Personal', exact: true }).click();
    await expect.poll(() => rows(page).count(), UI).toBe(1);
    expect(await rows(page).first().getByRole('button', { name: 'Edit' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Users', exact: true }).click();
    await expect.poll(() => rows(page).count(), UI).toBe(2);
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.screenshot({ path: join(SHOTS, 'contacts.png') });
    const phone = await newPage(390, 844);
    await signIn(phone, 'bob', 'bob-password-1');
    await phone.getByRole('heading', { name: 'Contacts' }).waitFor();
    await expect.poll(() => rows(phone).count(), UI).toBeGreaterThan(4);
    await phone.screenshot({ path: join(SHOTS, 'contacts-phone.png'), fullPage: true });
  }, 45_000);

  it('makes an app password, and changes the password with the current one, keeping the app passwords or not', async () => {
    const page = await newPage();
    await signIn(page, 'bob', 'bob-password-1');
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.goto(srv.httpUrl + '/#/phones');
    await page.getByLabel('Device name').fill('Laptop');
    await page.getByRole('button', { name: 'Create app password' }).click();
    await expect.poll(() => page.locator('#app-secret').count(), UI).toBe(1);
    const secret = (await page.locator('#app-secret').textContent())!;
    expect(secret).toMatch(/^dbk_/);
    // the page shows the secret first, then reloads the list (a failed reload never hides it)
    await expect.poll(() => page.locator('#app-list').textContent(), UI).toContain('App password');
    // an app password opens CardDAV, never the admin API (issue 20)
    expect((await fetch(`${srv.httpUrl}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(403);
    const appWorks = async () => (await fetch(`${srv.httpUrl}/carddav/acme/bob/`, {
      method: 'PROPFIND', headers: { authorization: 'Basic ' + Buffer.from(`bob@acme:${secret}`).toString('base64'), depth: '0' },
    })).status;
    expect(await appWorks()).toBe(207);

    await idle(page);
    await page.getByRole('link', { name: 'My password' }).click();
    const change = async (current: string, next: string, keep: boolean) => {
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password', { exact: true }).fill(next);
      await page.getByLabel('New password again').fill(next);
      await page.getByLabel('Keep my app passwords working', { exact: false }).setChecked(keep);
      const answered = page.waitForResponse((r) => r.request().method() === 'PATCH');
      await page.getByRole('button', { name: 'Change password' }).click();
      return (await answered).status();
    };
    // a typo in the repeat is caught before anything is sent
    await page.getByLabel('Current password').fill('bob-password-1');
    await page.getByLabel('New password', { exact: true }).fill('bob-password-8');
    await page.getByLabel('New password again').fill('bob-password-9');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.locator('#pw-error').textContent(), UI).toContain('do not match');

    expect(await change('bob-password-1', 'bob-password-8', true)).toBe(200);
    expect(await appWorks()).toBe(207);
    expect(await change('bob-password-8', 'bob-password-9', false)).toBe(200);
    await expect.poll(() => page.locator('#toast').textContent(), UI).toContain('app passwords revoked');
    expect(await appWorks()).toBe(401);
    await page.screenshot({ path: join(SHOTS, 'password.png') });
    // this browser stays signed in
    await page.getByRole('link', { name: 'Contacts' }).click();
    await expect.poll(() => rows(page).count(), UI).toBeGreaterThan(4);
  }, 60_000);

  it('had no console errors', () => {
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });
});
