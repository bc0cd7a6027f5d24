// Portal sessions over the real API: sign-in, CSRF on writes, sign-out, slowed wrong passwords.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
  await seedAccount(srv.ctx, { id: 'acme', users: [
    { username: 'olivia', scope: 'office_manager', password: 'olivia-password', email: 'olivia@acme.example' },
    { username: 'bob', scope: 'basic', password: 'bob-password-1' },
  ] });
});
afterAll(async () => { await srv.close(); });

const signIn = async (body: object) => {
  const agent = request.agent(srv.httpUrl);
  const res = await agent.post('/api/v1/session').send(body);
  return { agent, res };
};

describe('portal sessions', () => {
  it('signs in with username or email, sets an HttpOnly SameSite cookie, and serves /me', async () => {
    const { agent, res } = await signIn({ account: 'acme', login: 'OLIVIA@acme.example', password: 'olivia-password' });
    expect(res.status).toBe(201);
    expect(res.headers['set-cookie'][0]).toMatch(/^dialbook_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    const me = await agent.get('/api/v1/me');
    expect(me.body).toMatchObject({ user: { username: 'olivia' }, canManageShared: true });
  });

  it('refuses writes without the CSRF token, and accepts them with it', async () => {
    const { agent, res } = await signIn({ account: 'acme', login: 'olivia', password: 'olivia-password' });
    const without = await agent.post('/api/v1/accounts/acme/contacts').send({ company: 'No Token', workNumber: '1001' });
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('csrf_failed');
    const withToken = await agent.post('/api/v1/accounts/acme/contacts').set('X-CSRF-Token', res.body.csrf).send({ company: 'With Token', workNumber: '1001' });
    expect(withToken.status).toBe(201);
  });

  it('keeps basic users read-only on shared contacts', async () => {
    const { agent, res } = await signIn({ account: 'acme', login: 'bob', password: 'bob-password-1' });
    expect((await agent.get('/api/v1/accounts/acme/contacts')).status).toBe(200);
    const write = await agent.post('/api/v1/accounts/acme/contacts').set('X-CSRF-Token', res.body.csrf).send({ company: 'Nope', workNumber: '1001' });
    expect(write.status).toBe(403);
  });

  it('signs out', async () => {
    const { agent, res } = await signIn({ account: 'acme', login: 'olivia', password: 'olivia-password' });
    await agent.delete('/api/v1/session').set('X-CSRF-Token', res.body.csrf).expect(204);
    expect((await agent.get('/api/v1/me')).status).toBe(401);
  });

  it('lets the platform admin sign in with the admin token', async () => {
    const { agent } = await signIn({ adminToken: srv.adminToken });
    const me = await agent.get('/api/v1/me');
    expect(me.body.platform).toBe(true);
    expect(me.body.accounts.map((a: { id: string }) => a.id)).toEqual(['acme']);
  });

  it('serves the portal page', async () => {
    const res = await request(srv.httpUrl).get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<script type="module" src="/app.js">');
  });
  // last: it leaves this address throttled
  it('slows down repeated wrong passwords', async () => {
    const codes: number[] = [];
    // the shared sign-in limiter: signin.freeFailuresPerAddress (10) different wrong passwords, then waits
    for (let i = 0; i < 12; i++) codes.push((await signIn({ account: 'acme', login: 'bob', password: `wrong-${i}` })).res.status);
    expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(codes.slice(10)).toContain(429);
    const right = await signIn({ account: 'acme', login: 'bob', password: 'bob-password-1' });
    expect(right.res.status).toBe(429);
    expect(right.res.headers['retry-after']).toBeDefined();
  });

});
