// App passwords (issue 20): POST/GET/DELETE .../users/{id}/app-passwords. The user makes their
// own from a portal session and sees the secret once; the user or a manager lists them (created,
// last used, never the secret) and revokes them; an app password opens no admin API route at all,
// walked over every operation of the OpenAPI document so a route added later is covered too.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/api-tokens.ts';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
const PW = { olivia: 'olivia-password', bob: 'bob-password-1', carl: 'carl-password-1' };

beforeAll(async () => {
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
  await seedAccount(srv.ctx, { id: 'globex', users: [{ username: 'eve', password: 'eve-password-1' }] });
}, 30_000);
afterAll(async () => { await srv.close(); });

const api = () => request(srv.httpUrl);
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const urlOf = (login: keyof typeof PW, account = 'acme') => `/api/v1/accounts/${account}/users/${acme.users[login].id}/app-passwords`;

interface Signed { agent: ReturnType<typeof request.agent>; csrf: string }
async function signIn(login: keyof typeof PW): Promise<Signed> {
  const agent = request.agent(srv.httpUrl);
  const res = await agent.post('/api/v1/session').send({ account: 'acme', login, password: PW[login] });
  expect(res.status).toBe(201);
  return { agent, csrf: res.body.csrf as string };
}
async function create(s: Signed, login: keyof typeof PW, body: object) {
  return s.agent.post(urlOf(login)).set('X-CSRF-Token', s.csrf).send(body);
}
const davPropfind = (login: string, password: string) => fetch(`${srv.httpUrl}/carddav/acme/${login.split('@')[0]}/`, {
  method: 'PROPFIND', headers: { authorization: 'Basic ' + Buffer.from(`${login}:${password}`).toString('base64'), depth: '0' },
});

describe('creating an app password', { timeout: 60_000 }, () => {
  let bob: Signed;
  beforeAll(async () => { bob = await signIn('bob'); });

  it('shows the secret once, stores only its hash, and the secret opens CardDAV', async () => {
    const res = await create(bob, 'bob', { label: '  iPhone ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), label: 'iPhone', createdAt: expect.any(String), lastUsedAt: null, token: expect.stringMatching(/^dbk_/) });
    const stored = await srv.ctx.db.findTokenByHash(hashToken(res.body.token));
    expect(stored).toMatchObject({ id: res.body.id, kind: 'app-password', userId: acme.users.bob.id });
    expect(stored!.tokenHash).not.toContain(res.body.token);
    // not in the database files in plain text either
    const files = readdirSync(srv.dataDir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    expect(files.some((f) => f.includes('.db') || f.includes('sqlite'))).toBe(true);
    for (const f of files) expect(readFileSync(join(srv.dataDir, f)).includes(Buffer.from(res.body.token)), f).toBe(false);
    expect((await davPropfind('bob@acme', res.body.token)).status).toBe(207);
    // never shown again
    const listed = await bob.agent.get(urlOf('bob'));
    expect(JSON.stringify(listed.body)).not.toContain(res.body.token);
    expect(JSON.stringify(listed.body)).not.toContain(stored!.tokenHash);
  });

  it('names the field and the reason when the body is wrong', async () => {
    for (const [body, field, reason] of [
      [{}, 'label', /.+/],
      [{ label: '   ' }, 'label', /e\.g\. "iPhone"/],
      [{ label: 'x'.repeat(101) }, 'label', /at most 100/],
      [{ label: 7 }, 'label', /.+/],
    ] as const) {
      const res = await create(bob, 'bob', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details[0].field).toBe(field);
      expect(res.body.error.details[0].reason).toMatch(reason);
      expect(res.body.error.message).toContain('label');
    }
    const extra = await create(bob, 'bob', { label: 'Mac', kind: 'api' });
    expect(extra.status).toBe(400);
    expect(JSON.stringify(extra.body.error.details)).toContain('kind');
  });

  it('is for the user only, from a portal session: not a manager, the platform admin or any token', async () => {
    const olivia = await signIn('olivia');
    expect((await create(olivia, 'bob', { label: 'spy' })).status).toBe(403);
    expect((await api().post(urlOf('bob')).set(bearer(srv.adminToken)).send({ label: 'spy' })).status).toBe(403);
    expect((await api().post(urlOf('bob')).set(bearer(acme.tokens.olivia)).send({ label: 'spy' })).status).toBe(403);
    const ownByToken = await api().post(urlOf('bob')).set(bearer(acme.tokens.bob)).send({ label: 'spy' });
    expect(ownByToken.status).toBe(403);
    expect(ownByToken.body.error.message).toMatch(/Sign in to the portal/);
    expect((await api().post(urlOf('bob', 'globex')).set(bearer(acme.tokens.bob)).send({ label: 'spy' })).status).toBe(404);
    expect((await srv.ctx.db.listTokens('acme', acme.users.bob.id)).some((t) => t.label === 'spy')).toBe(false);
  });

  it('wants a recent sign-in, like every credential minted', async () => {
    const carl = await signIn('carl');
    const sessions = (await carl.agent.get('/api/v1/me/sessions')).body.items as { id: string; current: boolean }[];
    await srv.ctx.db.markSessionAuthenticated(sessions.find((s) => s.current)!.id, Date.now() - 11 * 60_000);
    const refused = await create(carl, 'carl', { label: 'Laptop' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('reauthentication_required');
    expect((await create(carl, 'carl', { label: 'Laptop', currentPassword: PW.carl })).status).toBe(201);
  });
});

describe('listing and revoking', { timeout: 60_000 }, () => {
  let bob: Signed;
  let phone: { id: string; token: string };
  beforeAll(async () => {
    bob = await signIn('bob');
    phone = (await create(bob, 'bob', { label: 'Pixel' })).body;
  });

  it('lists app passwords only (not API tokens), with when each was made and last used', async () => {
    const before = (await bob.agent.get(urlOf('bob'))).body.items as { id: string; label: string; createdAt: string; lastUsedAt: string | null }[];
    const row = before.find((t) => t.id === phone.id)!;
    expect(row).toEqual({ id: phone.id, label: 'Pixel', createdAt: expect.any(String), lastUsedAt: null });
    // bob's seeded API token is a token, not an app password
    const apiTokenId = (await srv.ctx.db.findTokenByHash(hashToken(acme.tokens.bob)))!.id;
    expect(before.map((t) => t.id)).not.toContain(apiTokenId);
    // a CardDAV request notes the use (written without holding the request: wait for it)
    expect((await davPropfind('bob@acme', phone.token)).status).toBe(207);
    await expect.poll(async () => ((await bob.agent.get(urlOf('bob'))).body.items as typeof before).find((t) => t.id === phone.id)!.lastUsedAt)
      .toMatch(/^\d{4}-/);
  });

  it('lets a manager list and the user\'s peers not', async () => {
    const byManager = await api().get(urlOf('bob')).set(bearer(acme.tokens.olivia));
    expect(byManager.status).toBe(200);
    expect(byManager.body.items.map((t: { id: string }) => t.id)).toContain(phone.id);
    expect((await api().get(urlOf('bob')).set(bearer(acme.tokens.carl))).status).toBe(403);
    expect((await api().get(urlOf('bob', 'globex')).set(bearer(acme.tokens.olivia))).status).toBe(404);
  });

  it('revokes: a peer cannot, an API token is not an app password, the user can, and CardDAV refuses it at once', async () => {
    expect((await api().delete(`${urlOf('bob')}/${phone.id}`).set(bearer(acme.tokens.carl))).status).toBe(403);
    const apiTokenId = (await srv.ctx.db.findTokenByHash(hashToken(acme.tokens.bob)))!.id;
    expect((await api().delete(`${urlOf('bob')}/${apiTokenId}`).set(bearer(acme.tokens.bob))).status).toBe(404);
    expect((await api().get('/api/v1/me').set(bearer(acme.tokens.bob))).status).toBe(200);
    // another user's app password under this user's path: not found
    expect((await api().delete(`${urlOf('carl')}/${phone.id}`).set(bearer(acme.tokens.olivia))).status).toBe(404);

    expect((await davPropfind('bob@acme', phone.token)).status).toBe(207);
    expect((await bob.agent.delete(`${urlOf('bob')}/${phone.id}`).set('X-CSRF-Token', bob.csrf)).status).toBe(204);
    expect((await davPropfind('bob@acme', phone.token)).status).toBe(401);
    expect((await bob.agent.delete(`${urlOf('bob')}/${phone.id}`).set('X-CSRF-Token', bob.csrf)).status).toBe(404);
  });

  it('lets a manager revoke a user\'s app password', async () => {
    const other = (await create(bob, 'bob', { label: 'Tablet' })).body;
    expect((await api().delete(`${urlOf('bob')}/${other.id}`).set(bearer(acme.tokens.olivia))).status).toBe(204);
    expect((await davPropfind('bob@acme', other.token)).status).toBe(401);
  });

  it('is the same thing as an app password made on .../tokens', async () => {
    const viaTokens = await bob.agent.post(`/api/v1/accounts/acme/users/${acme.users.bob.id}/tokens`).set('X-CSRF-Token', bob.csrf).send({ label: 'Old client' });
    expect(viaTokens.status).toBe(201);
    expect(viaTokens.body.kind).toBe('app-password');
    expect((await bob.agent.get(urlOf('bob'))).body.items.map((t: { id: string }) => t.id)).toContain(viaTokens.body.id);
    expect((await davPropfind('bob@acme', viaTokens.body.token)).status).toBe(207);
    expect((await api().get('/api/v1/me').set(bearer(viaTokens.body.token))).status).toBe(403);
  });
});

describe('an app password and the admin API', { timeout: 60_000 }, () => {
  it('is refused with 403 on every operation of the OpenAPI document, and changes nothing', async () => {
    const olivia = await signIn('olivia');
    const made = await create(olivia, 'olivia', { label: 'Manager phone' });
    expect(made.status).toBe(201);
    const app = made.body as { id: string; token: string };
    const doc = (await api().get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { 'x-app-password': boolean }>> };
    const ids: Record<string, string> = { account: 'acme', id: acme.users.olivia.id, tokenId: app.id, sessionId: 'x', vendor: 'yealink' };
    const tokensBefore = await srv.ctx.db.listTokens('acme', acme.users.olivia.id);
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op['x-app-password'], `${method} ${path}`).toBe(false);
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? 'x');
        const res = await api()[method as 'get'](url).set(bearer(app.token)).send(method === 'get' || method === 'delete' ? undefined : {});
        expect(`${method} ${path} ${res.status} ${res.body?.error?.code}`).toBe(`${method} ${path} 403 app_password_not_for_api`);
        operations++;
      }
    }
    expect(operations).toBeGreaterThan(40);
    // a path nobody declared, and express's case-insensitive matching
    for (const path of ['/api/v1/not-a-route', '/api/v1/ME/CONTACTS']) {
      const res = await api().get(path).set(bearer(app.token));
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/CardDAV and LDAP only, never the admin API/);
    }
    // the walk changed nothing and did not count as a use
    expect(await srv.ctx.db.listTokens('acme', acme.users.olivia.id)).toEqual(tokensBefore);
    expect((await srv.ctx.db.getUser('acme', acme.users.olivia.id))!.name).toBe('olivia');
    // a manager's app password still syncs
    expect((await davPropfind('olivia@acme', app.token)).status).toBe(207);
  });
});
