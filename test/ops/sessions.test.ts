// Portal sessions live in the store: they survive a restart, only a hash of the cookie is kept,
// they expire, a user lists and ends their own, and a manager ends a user's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
let acme: SeededAccount;
beforeAll(async () => {
  srv = await startTestServer();
  acme = await seedAccount(srv.ctx, { id: 'acme', users: [
    { username: 'olivia', scope: 'office_manager', password: 'olivia-password' },
    { username: 'bob', scope: 'basic', password: 'bob-password-1' },
  ] });
  await seedAccount(srv.ctx, { id: 'globex', users: [{ username: 'gina', scope: 'office_manager', password: 'gina-password-1' }] });
});
afterAll(async () => { await srv.close(); });

async function signIn(login: string, password: string, account = 'acme') {
  const agent = request.agent(srv.httpUrl);
  const res = await agent.post('/api/v1/session').set('User-Agent', `test-${login}`).send({ account, login, password });
  expect(res.status).toBe(201);
  const cookie = /dialbook_session=([^;]+)/.exec(res.headers['set-cookie'][0])![1];
  return { agent, csrf: res.body.csrf as string, cookie };
}

describe('stored portal sessions', () => {
  it('survive a server restart, CSRF token included; the database holds only a hash of the cookie', async () => {
    const { cookie, csrf } = await signIn('olivia', 'olivia-password');
    await srv.stop();
    srv = await startTestServer({ dataDir: srv.dataDir });
    const me = await request(srv.httpUrl).get('/api/v1/me').set('Cookie', `dialbook_session=${cookie}`);
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('olivia');
    const write = await request(srv.httpUrl).post('/api/v1/accounts/acme/contacts').set('Cookie', `dialbook_session=${cookie}`)
      .set('X-CSRF-Token', csrf).send({ company: 'After Restart', workNumber: '1001' });
    expect(write.status).toBe(201);

    const db = new Database(join(srv.dataDir, 'dialbook.db'), { readonly: true });
    const rows = db.prepare('SELECT * FROM portal_sessions').all() as Record<string, unknown>[];
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(Object.values(r)).not.toContain(cookie);
    for (const f of ['dialbook.db', 'dialbook.db-wal']) {
      const bytes = readFileSync(join(srv.dataDir, f), 'latin1');
      expect(bytes.includes(cookie)).toBe(false);
      expect(bytes.includes(csrf)).toBe(false);
    }
  }, 30_000);

  it('expire: an expired session is refused and removed', async () => {
    const { agent } = await signIn('bob', 'bob-password-1');
    const mine = (await agent.get('/api/v1/me/sessions')).body.items as { id: string; current: boolean }[];
    const current = mine.find((s) => s.current)!;
    await srv.ctx.db.touchSession(current.id, Date.now() - 10_000, Date.now() - 1);
    expect((await agent.get('/api/v1/me')).status).toBe(401);
    expect((await srv.ctx.db.listUserSessions('acme', acme.users.bob.id, 0)).map((s) => s.id)).not.toContain(current.id);
  });

  it('lets a user list their sessions and end another one of their own, not someone else\'s', async () => {
    const first = await signIn('bob', 'bob-password-1');
    const second = await signIn('bob', 'bob-password-1');
    const list = await second.agent.get('/api/v1/me/sessions');
    expect(list.status).toBe(200);
    const items = list.body.items as { id: string; current: boolean; userAgent: string; ip: string }[];
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(items[0]).toMatchObject({ userAgent: 'test-bob' });
    expect(Object.keys(items[0])).not.toContain('tokenHash');
    const firstId = (await first.agent.get('/api/v1/me/sessions')).body.items.find((s: { current: boolean }) => s.current).id as string;

    // Another user (and another account's manager) cannot end it.
    const olivia = await signIn('olivia', 'olivia-password');
    expect((await olivia.agent.delete(`/api/v1/me/sessions/${firstId}`).set('X-CSRF-Token', olivia.csrf)).status).toBe(404);
    const gina = await signIn('gina', 'gina-password-1', 'globex');
    // Another account's manager is told the account does not exist (as for every route of it).
    expect((await gina.agent.delete(`/api/v1/accounts/acme/users/${acme.users.bob.id}/sessions`).set('X-CSRF-Token', gina.csrf)).status).toBe(404);
    expect((await first.agent.get('/api/v1/me')).status).toBe(200);

    await second.agent.delete(`/api/v1/me/sessions/${firstId}`).set('X-CSRF-Token', second.csrf).expect(204);
    expect((await first.agent.get('/api/v1/me')).status).toBe(401);
    expect((await second.agent.get('/api/v1/me')).status).toBe(200);
  });

  it('lets a manager end all sessions of a user; a basic user may not', async () => {
    const bob = await signIn('bob', 'bob-password-1');
    const olivia = await signIn('olivia', 'olivia-password');
    const byBob = await bob.agent.delete(`/api/v1/accounts/acme/users/${acme.users.olivia.id}/sessions`).set('X-CSRF-Token', bob.csrf);
    expect(byBob.status).toBe(403);
    const listed = await olivia.agent.get(`/api/v1/accounts/acme/users/${acme.users.bob.id}/sessions`);
    expect(listed.body.items.length).toBeGreaterThan(0);
    const ended = await olivia.agent.delete(`/api/v1/accounts/acme/users/${acme.users.bob.id}/sessions`).set('X-CSRF-Token', olivia.csrf);
    expect(ended.status).toBe(200);
    expect(ended.body.ended).toBeGreaterThan(0);
    expect((await bob.agent.get('/api/v1/me')).status).toBe(401);
    expect((await olivia.agent.get('/api/v1/me')).status).toBe(200);
  });
});
