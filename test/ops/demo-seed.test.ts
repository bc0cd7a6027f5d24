// The demo account (`serve --demo`) is made whole or not at all: the slow part (a password hash
// per user) runs before the first write, so a server stopped while seeding leaves no half-made
// account that the next start would skip.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../../src/auth/passwords.ts';
import { loadDemo } from '../../src/bootstrap.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

// The hashes are held by the test (no clock): loadDemo's hashPassword is the real one unless a
// test holds it.
vi.mock('../../src/auth/passwords.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/auth/passwords.ts')>();
  return { ...actual, hashPassword: vi.fn(actual.hashPassword) };
});
const { hashPassword: realHash } = await vi.importActual<typeof import('../../src/auth/passwords.ts')>('../../src/auth/passwords.ts');

let srv: TestServer;
beforeAll(async () => { srv = await startTestServer(); });
afterAll(async () => { await srv.close(); });

describe('demo seeding', () => {
  it('writes nothing until every password is hashed, then the whole account', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let started = 0;
    vi.mocked(hashPassword).mockImplementation(async (password) => { started++; await held; return realHash(password); });
    try {
      const seeding = loadDemo(srv.ctx);
      // every hash has started and none has ended: nothing of the account exists yet
      while (started < 3) await new Promise((r) => setTimeout(r, 2));
      expect(await srv.ctx.db.getAccount('demo')).toBeNull();
      release();
      expect(await seeding).toBe('demo');
    } finally {
      release();
      vi.mocked(hashPassword).mockImplementation(realHash);
    }
    expect(await srv.ctx.db.listUsers('demo')).toHaveLength(3);
    expect(await srv.ctx.db.allContacts('demo', { source: 'shared' })).toHaveLength(8);
    expect(await srv.ctx.db.getPhoneCredentials('demo')).toBeTruthy();
    // a second start finds the account and leaves it as it is
    expect(await loadDemo(srv.ctx)).toBeNull();
    expect(await srv.ctx.db.allContacts('demo', { source: 'shared' })).toHaveLength(8);
  }, 60_000);
});
