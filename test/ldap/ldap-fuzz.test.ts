// A few thousand malformed and random PDUs against the real server over sockets (the full run
// is `npm run fuzz`): no connection hangs, the server keeps answering a normal client correctly
// after each batch, and memory stays bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PduGenerator, sendPdus, take } from '../../bench/lib/ldap-pdus.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { hasLdapUtils, ldapsearch } from './ldap-helpers.ts';

let srv: TestServer;

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
    const rss0 = process.memoryUsage().rss;
    for (let batch = 0; batch < 3; batch++) {
      const tally = await sendPdus(srv.ldapPort!, take(gen, 1000), { localAddress: '127.0.0.2' });
      expect(tally.sent).toBe(1000);
      expect(tally.hung).toBe(0);
      expect(tally.answered).toBeGreaterThan(100); // the valid and refused ones got answers
      const r = await ldapsearch(srv.ldapPort!, ['-D', 'phones@fuzz', '-w', 'phone-secret-1', '-b', 'o=fuzz,dc=dialbook', '(sn=targ*)', 'cn']);
      expect(r.code).toBe(0);
      expect(r.entries.map((e) => e.attrs.cn)).toEqual([['Fuzzy Target']]);
    }
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);
});
