// A few thousand malformed and random PDUs against the real server over sockets (the full run
// is `npm run fuzz`): no connection hangs, the server keeps answering a normal client correctly
// after each batch, and memory stays bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PduGenerator, sendPdus, take } from '../../bench/lib/ldap-pdus.ts';
import { PASSWORD_PARAMS } from '../../src/auth/passwords.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { hasLdapUtils, ldapsearch } from './ldap-helpers.ts';

let srv: TestServer;
const MiB = 1024 * 1024;
const SCRYPT_MIB = (128 * PASSWORD_PARAMS.N * PASSWORD_PARAMS.r * PASSWORD_PARAMS.p) / MiB;

beforeAll(async () => {
  srv = await startTestServer({ ldap: { messageDeadlineMs: 1000 } });
  await seedAccount(srv.ctx, {
    id: 'fuzz',
    settings: { ldapAnonymous: true },
    phoneCredentials: { username: 'phones', password: 'phone-secret-1' },
    contacts: [{ firstName: 'Fuzzy', lastName: 'Target', workNumber: '2145550100' }, { lastName: 'Other', workNumber: '2145550101' }],
  });
});
afterAll(async () => { await srv.close(); });

describe.skipIf(!hasLdapUtils)('LDAP fuzz (small)', () => {
  it('survives 3,000 malformed PDUs in 3 batches and answers correctly after each', async () => {
    const gen = new PduGenerator(1234);
    const m0 = process.memoryUsage();
    for (let batch = 0; batch < 3; batch++) {
      const tally = await sendPdus(srv.ldapPort!, take(gen, 1000), { localAddress: '127.0.0.2' });
      expect(tally.sent).toBe(1000);
      expect(tally.hung).toBe(0);
      expect(tally.answered).toBeGreaterThan(100); // the valid and refused ones got answers
      const r = await ldapsearch(srv.ldapPort!, ['-D', 'phones@fuzz', '-w', 'phone-secret-1', '-b', 'o=fuzz,dc=dialbook', '(sn=targ*)', 'cn']);
      expect(r.code).toBe(0);
      expect(r.entries.map((e) => e.attrs.cn)).toEqual([['Fuzzy Target']]);
    }
    // What our code holds (JS heap, buffers) must stay flat. The process's RSS also carries
    // scrypt's working set: binds with passwords are checked (the limiter no longer counts a
    // repeated wrong secret as a guess), each hash needs 128 MiB (PASSWORD_PARAMS) and two run at
    // once (passwords.ts), and malloc may keep that memory a while after: up to 2 x 128 MiB on
    // top of the 200 MiB allowed for everything else (measured: spikes of 120-290 MB, heap +15 MB).
    const m = process.memoryUsage();
    expect(m.heapUsed - m0.heapUsed).toBeLessThan(100 * MiB);
    expect(m.external + m.arrayBuffers - (m0.external + m0.arrayBuffers)).toBeLessThan(50 * MiB);
    expect(m.rss - m0.rss).toBeLessThan(200 * MiB + 2 * SCRYPT_MIB * MiB);
  }, 120_000);
});
