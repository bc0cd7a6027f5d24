// CardDAV passwords (issue 20): a user's app password opens their books; an API token (a
// manager's script credential) or the platform token does not, with a 401 that says what to use;
// a revoked app password is refused by the very next request, on this instance and on another one
// over the same database, however long verified passwords are remembered (authCacheSeconds).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { dav, makeAppPassword, PASSWORDS, startDavFixture, type DavFixture } from './carddav-helpers.ts';

let f: DavFixture;
let second: TestServer | null = null;
const PERSONAL = '/carddav/acme/bob/personal/';

beforeAll(async () => {
  // remembered passwords last an hour here: a revoked app password must not ride on that
  f = await startDavFixture({ carddav: { authCacheSeconds: 3600 } });
}, 30_000);
afterAll(async () => {
  await second?.stop();
  await f?.server.close();
});

const appPassword = (label: string) => makeAppPassword(f, 'bob', label);
const revoke = (id: string) => request(f.server.httpUrl)
  .delete(`/api/v1/accounts/acme/users/${f.acme.users.bob.id}/app-passwords/${id}`).set('Authorization', `Bearer ${f.acme.tokens.ann}`);

describe('CardDAV and app passwords', { timeout: 60_000 }, () => {
  it('opens the user\'s books with an app password (PROPFIND), and only as that user', async () => {
    const app = await appPassword('iPhone');
    const home = await dav(f.server, 'PROPFIND', '/carddav/acme/bob/', { login: 'bob@acme', password: app.token, depth: '1' });
    expect(home.status).toBe(207);
    expect(home.text).toContain(PERSONAL);
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: app.token, depth: '1' })).status).toBe(207);
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'ann@acme', password: app.token, depth: '0' })).status).toBe(401);
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@globex', password: app.token, depth: '0' })).status).toBe(401);
  });

  it('refuses an API token with a 401 that says to use an app password', async () => {
    for (const [login, token] of [['bob@acme', f.acme.tokens.bob], ['ann@acme', f.acme.tokens.ann]]) {
      const res = await dav(f.server, 'PROPFIND', `/carddav/acme/${login.split('@')[0]}/`, { login, password: token, depth: '0' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic');
      expect(res.text).toMatch(/API token does not open CardDAV: use an app password/);
      expect(res.text).not.toContain(token);
    }
    // the platform token is no user's password at all
    const admin = await dav(f.server, 'PROPFIND', '/carddav/', { login: 'ann@acme', password: f.server.adminToken, depth: '0' });
    expect(admin.status).toBe(401);
    // the API tokens still work where they belong
    expect((await request(f.server.httpUrl).get('/api/v1/me').set('Authorization', `Bearer ${f.acme.tokens.ann}`)).status).toBe(200);
  });

  it('refuses a revoked app password at once', async () => {
    const app = await appPassword('Laptop');
    for (let i = 0; i < 3; i++) {
      expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: app.token, depth: '0' })).status).toBe(207);
    }
    expect((await revoke(app.id)).status).toBe(204);
    const refused = await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: app.token, depth: '0' });
    expect(refused.status).toBe(401);
    expect(refused.text).toMatch(/Wrong user name or password/);
    // the user's own password, remembered for an hour, is untouched
    expect((await dav(f.server, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: PASSWORDS.bob, depth: '0' })).status).toBe(207);
  });

  it('refuses it at once on another instance over the same database too', async () => {
    second = await startTestServer({ dataDir: f.server.dataDir, carddav: { authCacheSeconds: 3600 } });
    const app = await appPassword('Desktop');
    const onSecond = () => dav(second!, 'PROPFIND', PERSONAL, { login: 'bob@acme', password: app.token, depth: '0' });
    expect((await onSecond()).status).toBe(207);
    expect((await revoke(app.id)).status).toBe(204);
    expect((await onSecond()).status).toBe(401);
  });
});
