// Credential kinds (issue 23, section 3; issue 20: app passwords open no API route at all): what an app password may not do, that nobody mints
// credentials for someone else (so no manager reads a user's personal contacts, in the API or
// over CardDAV), that a password change ends the other sessions and (by choice) the app passwords
// while a manager's reset ends everything, that one's own password change takes the current
// password, and that minting wants a recent sign-in. Each sign-in and password check runs scrypt
// (most of a second), hence the longer timeouts.
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, newToken } from '../../src/auth/api-tokens.ts';
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { migrate } from '../../src/store/sqlite/migrations.ts';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
const PW = { olivia: 'olivia-password', bob: 'bob-password-1', carl: 'carl-password-1' };

beforeAll(async () => {
  // Wrong passwords are part of the checks here; all come from 127.0.0.1.
  srv = await startTestServer({ signin: { freeFailuresPerAddress: 1000 } });
  acme = await seedAccount(srv.ctx, {
    id: 'acme',
    users: [
      { username: 'olivia', scope: 'office_manager', password: PW.olivia },
      { username: 'bob', scope: 'basic', password: PW.bob },
      { username: 'carl', scope: 'basic', password: PW.carl },
    ],
    contacts: [{ company: 'Shared Supplier', workNumber: '+1 469 429 2500' }],
  });
  await srv.ctx.db.createContact('acme', { source: 'personal', userId: acme.users.bob.id },
    prepareContact({ firstName: 'BobsPrivate', lastName: 'Friend', mobileNumber: '+1 469 429 2999' }, 'US'), { id: 'test' });
}, 30_000);
afterAll(async () => { await srv.close(); });

const api = () => request(srv.httpUrl);
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

interface Signed { agent: ReturnType<typeof request.agent>; csrf: string; sessionId: string }
async function signIn(login: keyof typeof PW, password: string = PW[login]): Promise<Signed> {
  const agent = request.agent(srv.httpUrl);
  const res = await agent.post('/api/v1/session').send({ account: 'acme', login, password });
  expect(res.status).toBe(201);
  const sessions = (await agent.get('/api/v1/me/sessions')).body.items as { id: string; current: boolean }[];
  return { agent, csrf: res.body.csrf as string, sessionId: sessions.find((s) => s.current)!.id };
}
async function mint(s: Signed, userId: string, body: object = {}) {
  return s.agent.post(`/api/v1/accounts/acme/users/${userId}/tokens`).set('X-CSRF-Token', s.csrf).send(body);
}
async function appPasswordOf(login: 'bob' | 'carl' | 'olivia'): Promise<{ id: string; token: string }> {
  const res = await mint(await signIn(login), acme.users[login].id, { label: 'phone' });
  expect(res.status).toBe(201);
  expect(res.body.kind).toBe('app-password');
  return res.body;
}
const davPropfind = (path: string, login: string, password: string) => fetch(srv.httpUrl + path, {
  method: 'PROPFIND', headers: { authorization: 'Basic ' + Buffer.from(`${login}:${password}`).toString('base64'), depth: '1' },
});
const works = async (token: string) => (await api().get('/api/v1/me').set(bearer(token))).status;
const sessionWorks = async (s: Signed) => (await s.agent.get('/api/v1/me')).status;

describe('an app password', { timeout: 60_000 }, () => {
  let app: { id: string; token: string };
  beforeAll(async () => { app = await appPasswordOf('bob'); });

  it('syncs over CardDAV, and opens no admin API route, not even its user\'s contacts (issue 20)', async () => {
    const refused = await api().get('/api/v1/me').set(bearer(app.token));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('app_password_not_for_api');
    expect((await api().get('/api/v1/me/directory').set(bearer(app.token))).status).toBe(403);
    const mine = await api().get('/api/v1/me/contacts').set(bearer(app.token));
    expect(mine.status).toBe(403);
    expect(JSON.stringify(mine.body)).not.toContain('BobsPrivate');
    const created = await api().post('/api/v1/me/contacts').set(bearer(app.token)).send({ firstName: 'ViaApp', workNumber: '1234' });
    expect(created.status).toBe(403);
    expect((await srv.ctx.db.allContacts('acme', { source: 'personal', userId: acme.users.bob.id })).map((c) => c.firstName)).not.toContain('ViaApp');
    expect((await api().get('/api/v1/accounts/acme/contacts').set(bearer(app.token))).status).toBe(403);
    expect((await api().get('/api/v1/accounts/acme/groups').set(bearer(app.token))).status).toBe(403);
    expect((await api().post('/api/v1/accounts/acme/contacts').set(bearer(app.token)).send({ company: 'X', workNumber: '1' })).status).toBe(403);
    expect((await davPropfind('/carddav/acme/bob/personal/', 'bob@acme', app.token)).status).toBe(207);
  });

  it('cannot change a password, not even with the current one', async () => {
    const res = await api().patch(`/api/v1/accounts/acme/users/${acme.users.bob.id}`).set(bearer(app.token))
      .send({ password: 'taken-over-pw-1', currentPassword: PW.bob });
    expect(res.status).toBe(403);
    expect((await api().patch(`/api/v1/accounts/acme/users/${acme.users.bob.id}`).set(bearer(app.token)).send({ password: 'taken-over-pw-1' })).status).toBe(403);
    // the password is unchanged
    expect((await request(srv.httpUrl).post('/api/v1/session').send({ account: 'acme', login: 'bob', password: PW.bob })).status).toBe(201);
  });

  it('cannot mint, list or revoke credentials, nor list or end sessions', async () => {
    const bobId = acme.users.bob.id;
    expect((await api().post(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(app.token)).send({ label: 'more' })).status).toBe(403);
    expect((await api().post(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(app.token)).send({ label: 'more', currentPassword: PW.bob })).status).toBe(403);
    expect((await api().get(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(app.token))).status).toBe(403);
    expect((await api().delete(`/api/v1/accounts/acme/tokens/${app.id}`).set(bearer(app.token))).status).toBe(403);
    expect((await api().get('/api/v1/me/sessions').set(bearer(app.token))).status).toBe(403);
    // express matches routes case-insensitively; the refusal does not depend on the path at all
    expect((await api().get('/api/v1/ME/SESSIONS').set(bearer(app.token))).status).toBe(403);
    const after = await srv.ctx.db.listTokens('acme', bobId);
    expect(after.map((t) => t.id)).toContain(app.id);
    expect(after.map((t) => t.label)).not.toContain('more');
  });

  it('cannot call the account or user administration', async () => {
    const bobId = acme.users.bob.id;
    for (const [method, path] of [
      ['get', '/api/v1/accounts/acme'], ['get', '/api/v1/accounts/acme/users'], ['get', `/api/v1/accounts/acme/users/${bobId}`],
      ['patch', `/api/v1/accounts/acme/users/${bobId}`], ['get', '/api/v1/accounts/acme/audit'],
      ['get', '/api/v1/accounts/acme/phone-credentials'], ['get', '/api/v1/accounts/acme/provisioning'], ['get', '/api/v1/accounts'],
    ] as const) {
      const res = await api()[method](path).set(bearer(app.token)).send(method === 'patch' ? { name: 'Renamed' } : undefined);
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 403`);
    }
    expect((await srv.ctx.db.getUser('acme', bobId))!.name).toBe('bob');
  });

  it('is marked in the OpenAPI document on each route', async () => {
    const doc = (await api().get('/api/v1/openapi.json')).body;
    expect(doc.paths['/api/v1/me/contacts'].get['x-app-password']).toBe(false);
    expect(doc.paths['/api/v1/accounts/{account}/users/{id}'].patch['x-app-password']).toBe(false);
    expect(doc.paths['/api/v1/accounts/{account}/users/{id}/tokens'].post['x-app-password']).toBe(false);
  });
});

describe('nobody mints credentials for someone else', { timeout: 60_000 }, () => {
  it('refuses a manager, the platform admin and every token; a user mints their own from a session', async () => {
    const bobId = acme.users.bob.id;
    const olivia = await signIn('olivia');
    expect((await mint(olivia, bobId, { label: 'spy' })).status).toBe(403);
    expect((await api().post(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(srv.adminToken)).send({})).status).toBe(403);
    expect((await api().post(`/api/v1/accounts/acme/users/${bobId}/tokens`).set(bearer(acme.tokens.olivia)).send({})).status).toBe(403);
    // a manager's API token cannot mint even for its own user: minting needs a portal session
    expect((await api().post(`/api/v1/accounts/acme/users/${acme.users.olivia.id}/tokens`).set(bearer(acme.tokens.olivia)).send({})).status).toBe(403);
    expect((await srv.ctx.db.listTokens('acme', bobId)).some((t) => t.label === 'spy')).toBe(false);
  });

  it('lets managers (only) make API tokens, which act with their role but mint nothing', async () => {
    expect((await mint(await signIn('bob'), acme.users.bob.id, { kind: 'api' })).status).toBe(403);
    const made = await mint(await signIn('olivia'), acme.users.olivia.id, { kind: 'api', label: 'sync script' });
    expect(made.status).toBe(201);
    expect(made.body.kind).toBe('api');
    expect((await api().get('/api/v1/accounts/acme/users').set(bearer(made.body.token))).status).toBe(200);
    expect((await api().post(`/api/v1/accounts/acme/users/${acme.users.olivia.id}/tokens`).set(bearer(made.body.token)).send({})).status).toBe(403);
  });

  it('lets a manager list and revoke a user\'s app passwords', async () => {
    const app = await appPasswordOf('carl');
    const listed = await api().get(`/api/v1/accounts/acme/users/${acme.users.carl.id}/tokens`).set(bearer(acme.tokens.olivia));
    expect(listed.body.items.find((t: { id: string }) => t.id === app.id)).toMatchObject({ kind: 'app-password' });
    expect(JSON.stringify(listed.body)).not.toContain(app.token);
    expect((await api().delete(`/api/v1/accounts/acme/tokens/${app.id}`).set(bearer(acme.tokens.olivia))).status).toBe(204);
    expect(await works(app.token)).toBe(401);
  });
});

describe('a manager and a user\'s personal contacts', { timeout: 60_000 }, () => {
  it('sees none of them: not through the API, not over CardDAV', async () => {
    const olivia = await signIn('olivia');
    const mine = await olivia.agent.get('/api/v1/me/contacts');
    expect(JSON.stringify(mine.body)).not.toContain('BobsPrivate');
    const dir = await olivia.agent.get('/api/v1/me/directory?source=all&limit=1000');
    expect(JSON.stringify(dir.body)).not.toContain('BobsPrivate');
    const shared = await api().get('/api/v1/accounts/acme/contacts?limit=1000').set(bearer(acme.tokens.olivia));
    expect(JSON.stringify(shared.body)).not.toContain('BobsPrivate');
    const exported = await api().get('/api/v1/accounts/acme/contacts/export?format=csv').set(bearer(acme.tokens.olivia));
    expect(exported.status).toBe(200);
    expect(exported.text).not.toContain('BobsPrivate');
    // the personal contact's id, under the shared list: not found
    const bobsId = (await srv.ctx.db.allContacts('acme', { source: 'personal', userId: acme.users.bob.id }))[0].id;
    expect((await api().get(`/api/v1/accounts/acme/contacts/${bobsId}`).set(bearer(acme.tokens.olivia))).status).toBe(404);
    expect((await api().get(`/api/v1/accounts/acme/contacts/${bobsId}`).set(bearer(srv.adminToken))).status).toBe(404);

    // CardDAV: Olivia's password and her own app password reach her books only, the admin token none
    const oliviaApp = await appPasswordOf('olivia');
    for (const password of [PW.olivia, oliviaApp.token]) {
      const r = await davPropfind('/carddav/acme/bob/personal/', 'olivia@acme', password);
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain('BobsPrivate');
      expect((await davPropfind('/carddav/acme/bob/personal/', 'bob@acme', password)).status).toBe(401);
    }
    expect((await davPropfind('/carddav/acme/bob/personal/', 'bob@acme', srv.adminToken)).status).toBe(401);
    expect((await davPropfind('/carddav/acme/bob/personal/', 'bob@acme', acme.tokens.olivia)).status).toBe(401);
  });

  it('finds none of them in the change history either', async () => {
    const made = await api().post('/api/v1/me/contacts').set(bearer(acme.tokens.bob)).send({ firstName: 'BobsDiary', workNumber: '+1 415 555 0142' });
    expect(made.status).toBe(201);
    const edited = await api().patch(`/api/v1/me/contacts/${made.body.id}`).set(bearer(acme.tokens.bob)).send({ lastName: 'Entry' });
    expect(edited.status).toBe(200);
    const shared = await api().post('/api/v1/accounts/acme/contacts').set(bearer(acme.tokens.olivia)).send({ firstName: 'SharedAudited', workNumber: '+1 415 555 0143' });
    expect(shared.status).toBe(201);
    const audit = await api().get('/api/v1/accounts/acme/audit?limit=500').set(bearer(acme.tokens.olivia));
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain('SharedAudited');
    expect(JSON.stringify(audit.body)).not.toContain('BobsDiary');
    expect(JSON.stringify(audit.body)).not.toContain(made.body.id);
  });
});

describe('changing one\'s own password', { timeout: 60_000 }, () => {
  it('takes the current password (API token or session alike)', async () => {
    const carl = await signIn('carl');
    const url = `/api/v1/accounts/acme/users/${acme.users.carl.id}`;
    const missing = await carl.agent.patch(url).set('X-CSRF-Token', carl.csrf).send({ password: 'carl-new-pw-1' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].field).toBe('currentPassword');
    const wrong = await carl.agent.patch(url).set('X-CSRF-Token', carl.csrf).send({ password: 'carl-new-pw-1', currentPassword: 'not-it-at-all' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('wrong_current_password');
    expect((await api().patch(url).set(bearer(acme.tokens.carl)).send({ password: 'carl-new-pw-1' })).status).toBe(400);
    // other fields need no password
    expect((await carl.agent.patch(url).set('X-CSRF-Token', carl.csrf).send({ extension: '333' })).status).toBe(200);
    expect((await request(srv.httpUrl).post('/api/v1/session').send({ account: 'acme', login: 'carl', password: PW.carl })).status).toBe(201);
  });

  it('ends the other sessions, keeps the current one, and keeps app passwords when asked', async () => {
    const a = await signIn('bob');
    const b = await signIn('bob');
    const app = await appPasswordOf('bob');
    const res = await a.agent.patch(`/api/v1/accounts/acme/users/${acme.users.bob.id}`).set('X-CSRF-Token', a.csrf)
      .send({ password: 'bob-password-2', currentPassword: PW.bob, keepAppPasswords: true });
    expect(res.status).toBe(200);
    PW.bob = 'bob-password-2';
    expect(await sessionWorks(a)).toBe(200);
    expect(await sessionWorks(b)).toBe(401);
    expect(await works(app.token)).toBe(403); // kept: known, and refused by the API as every app password (401 once revoked)
    expect((await davPropfind('/carddav/acme/bob/personal/', 'bob@acme', app.token)).status).toBe(207);
  });

  it('revokes app passwords and API tokens by default', async () => {
    const a = await signIn('bob');
    const app = await appPasswordOf('bob');
    expect(await works(acme.tokens.bob)).toBe(200);
    const res = await a.agent.patch(`/api/v1/accounts/acme/users/${acme.users.bob.id}`).set('X-CSRF-Token', a.csrf)
      .send({ password: 'bob-password-3', currentPassword: PW.bob });
    expect(res.status).toBe(200);
    PW.bob = 'bob-password-3';
    expect(await sessionWorks(a)).toBe(200);
    expect(await works(app.token)).toBe(401);
    expect(await works(acme.tokens.bob)).toBe(401);
    expect((await davPropfind('/carddav/acme/bob/personal/', 'bob@acme', app.token)).status).toBe(401);
    expect(await srv.ctx.db.listTokens('acme', acme.users.bob.id)).toEqual([]);
  });

  it('made with an API token, keeps that token and ends every session', async () => {
    const s = await signIn('olivia');
    const token = newToken();
    await srv.ctx.db.createToken({ accountId: 'acme', userId: acme.users.olivia.id, label: 'script', tokenHash: hashToken(token), kind: 'api' });
    const res = await api().patch(`/api/v1/accounts/acme/users/${acme.users.olivia.id}`).set(bearer(token))
      .send({ password: 'olivia-password-2', currentPassword: PW.olivia });
    expect(res.status).toBe(200);
    PW.olivia = 'olivia-password-2';
    expect(await works(token)).toBe(200);
    expect(await works(acme.tokens.olivia)).toBe(401); // her other token went (default: revoke)
    expect(await sessionWorks(s)).toBe(401);
    acme.tokens.olivia = token;
  });
});

describe('a manager\'s password reset', { timeout: 60_000 }, () => {
  it('ends all of the user\'s sessions and app passwords, and takes no keepAppPasswords', async () => {
    const a = await signIn('carl');
    const b = await signIn('carl');
    const app = await appPasswordOf('carl');
    const url = `/api/v1/accounts/acme/users/${acme.users.carl.id}`;
    const refused = await api().patch(url).set(bearer(acme.tokens.olivia)).send({ password: 'carl-reset-pw-1', keepAppPasswords: true });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].field).toBe('keepAppPasswords');
    const olivia = await signIn('olivia');
    const reset = await olivia.agent.patch(url).set('X-CSRF-Token', olivia.csrf).send({ password: 'carl-reset-pw-1' });
    expect(reset.status).toBe(200);
    PW.carl = 'carl-reset-pw-1';
    expect(await sessionWorks(a)).toBe(401);
    expect(await sessionWorks(b)).toBe(401);
    expect(await works(app.token)).toBe(401);
    expect(await srv.ctx.db.listTokens('acme', acme.users.carl.id)).toEqual([]);
    expect(await srv.ctx.db.listUserSessions('acme', acme.users.carl.id, 0)).toEqual([]);
    expect(await sessionWorks(olivia)).toBe(200);
    // the platform admin's reset is a reset too
    const c = await signIn('carl');
    expect((await api().patch(url).set(bearer(srv.adminToken)).send({ password: 'carl-reset-pw-2' })).status).toBe(200);
    PW.carl = 'carl-reset-pw-2';
    expect(await sessionWorks(c)).toBe(401);
  });
});

describe('minting wants a recent sign-in', { timeout: 60_000 }, () => {
  it('refuses a session signed in longer ago than portal.reauthMinutes until the password is sent again', async () => {
    const s = await signIn('carl');
    const eleven = Date.now() - 11 * 60_000; // default portal.reauthMinutes: 10
    await srv.ctx.db.markSessionAuthenticated(s.sessionId, eleven);
    const refused = await mint(s, acme.users.carl.id, { label: 'late' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('reauthentication_required');
    expect((await mint(s, acme.users.carl.id, { label: 'late', currentPassword: 'wrong-password' })).status).toBe(403);
    const ok = await mint(s, acme.users.carl.id, { label: 'late', currentPassword: PW.carl });
    expect(ok.status).toBe(201);
    // proving the password renewed the sign-in
    expect((await mint(s, acme.users.carl.id, { label: 'again' })).status).toBe(201);
  });
});

describe('migrations 6 and 7', { timeout: 60_000 }, () => {
  it('turns existing tokens of managers into API tokens, every other user token into an app password', () => {
    const db = new Database(':memory:');
    migrate(db, 5);
    const at = new Date().toISOString();
    db.prepare('INSERT INTO accounts (id, name, region, settings, created_at, updated_at) VALUES (?,?,?,?,?,?)')
      .run('a', 'A', 'US', JSON.stringify({ managerScopes: ['office_manager'] }), at, at);
    for (const [id, scope] of [['m', 'office_manager'], ['s', 'call_center_supervisor'], ['b', 'basic']]) {
      db.prepare('INSERT INTO users (id, account_id, username, name, scope, created_at, updated_at) VALUES (?,?,?,?,?,?,?)').run(id, 'a', id, id, scope, at, at);
      db.prepare('INSERT INTO api_tokens (id, account_id, user_id, token_hash, created_at) VALUES (?,?,?,?,?)').run(`t${id}`, 'a', id, `h${id}`, at);
    }
    db.prepare('INSERT INTO api_tokens (id, account_id, user_id, token_hash, created_at) VALUES (?,?,?,?,?)').run('tp', null, null, 'hp', at);
    db.prepare('INSERT INTO portal_sessions (id, token_hash, account_id, user_id, created_at, last_seen_at, expires_at) VALUES (?,?,?,?,?,?,?)')
      .run('s1', 'sh', 'a', 'b', 1234, 1300, 9999);
    migrate(db);
    expect(Object.fromEntries((db.prepare('SELECT id, kind FROM api_tokens').all() as { id: string; kind: string }[]).map((r) => [r.id, r.kind])))
      .toEqual({ tm: 'api', ts: 'app-password', tb: 'app-password', tp: 'platform' });
    expect(db.prepare('SELECT authenticated_at a FROM portal_sessions').get()).toEqual({ a: 1234 });
    // 6: an account that existed before incarnations gets one of its own
    expect((db.prepare('SELECT incarnation FROM accounts').get() as { incarnation: string }).incarnation).toMatch(/^[0-9a-f]{24}$/);
    db.close();
  });
});
