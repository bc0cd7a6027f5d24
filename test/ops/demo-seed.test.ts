// The demo account (`serve --demo`) is made whole or not at all: the slow part (a password hash
// per user) runs before the first write, so a server stopped while seeding leaves no half-made
// account that the next start would skip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../src/bootstrap.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let srv: TestServer;
beforeAll(async () => { srv = await startTestServer(); });
afterAll(async () => { await srv.close(); });

describe('demo seeding', () => {
  it('writes nothing until every password is hashed, then the whole account', async () => {
    const seeding = loadDemo(srv.ctx);
    // the hashes are still running: nothing of the account exists yet
    expect(await srv.ctx.db.getAccount('demo')).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    expect(await srv.ctx.db.getAccount('demo')).toBeNull();
    expect(await seeding).toBe('demo');
    expect(await srv.ctx.db.listUsers('demo')).toHaveLength(3);
    expect(await srv.ctx.db.allContacts('demo', { source: 'shared' })).toHaveLength(8);
    expect(await srv.ctx.db.getPhoneCredentials('demo')).toBeTruthy();
    // a second start finds the account and leaves it as it is
    expect(await loadDemo(srv.ctx)).toBeNull();
    expect(await srv.ctx.db.allContacts('demo', { source: 'shared' })).toHaveLength(8);
  }, 60_000);
});
