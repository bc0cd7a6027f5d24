// Three dialbook instances over one PostgreSQL behind HAProxy (packaging/haproxy.cfg), all on
// loopback, started by the test (issue 19, "a cluster test anyone can run on one machine").
// `npm run test:cluster` runs this file alone; `npm test` runs it too when PostgreSQL's and
// HAProxy's Debian packages are installed, and skips with one line naming them otherwise.
// Latencies are measured by `npm run bench cluster`, not asserted here.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_ADMIN_TOKEN, startCluster, type Cluster, type Instance } from '../helpers/cluster.ts';
import { requirePostgres } from '../helpers/postgres.ts';
import { requireProgram } from '../helpers/programs.ts';
import { ldapsearch } from '../ldap/ldap-helpers.ts';

const available = requirePostgres() && requireProgram('haproxy', 'haproxy') && requireProgram('ldapsearch', 'ldap-utils');
const ADMIN = { Authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}` };
const PHONE = { user: 'phones', password: 'phone-secret-1' };
const ANN = { login: 'ann@acme', password: 'ann-password-1' };
const BASE = 'o=acme,dc=dialbook';
const BIND = `cn=phones,${BASE}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Polls `probe` until it answers true; false after timeoutMs. */
async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return true;
    await sleep(20);
  }
  return false;
}

const ldapNames = async (port: number, filter: string) =>
  (await ldapsearch(port, ['-D', BIND, '-w', PHONE.password, '-b', BASE, '-z', '0', filter, 'sn'])).entries.map((e) => e.attrs.sn?.[0] ?? '');

const syncBody = (token: string) => `<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;

async function sync(inst: Instance, token: string): Promise<{ token: string; hrefs: string[] }> {
  const r = await fetch(`${inst.httpUrl}/carddav/acme/ann/shared/`, {
    method: 'REPORT', body: syncBody(token),
    headers: { 'Content-Type': 'application/xml', Authorization: basic(ANN.login, ANN.password), Depth: '1' },
  });
  const text = await r.text();
  if (r.status !== 207) throw new Error(`sync on ${inst.name}: ${r.status} ${text}`);
  return {
    token: /<d?:?sync-token>([^<]+)</.exec(text)?.[1] ?? '',
    hrefs: [...text.matchAll(/<[a-z]*:?href>([^<]+)</g)].map((m) => m[1]),
  };
}

async function phonebookEtag(inst: Instance): Promise<string> {
  const r = await fetch(`${inst.httpUrl}/phonebook/acme/yealink.xml`, { headers: { Authorization: basic(PHONE.user, PHONE.password) } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`phonebook on ${inst.name}: ${r.status}`);
  return r.headers.get('etag') ?? '';
}

describe.skipIf(!available)('three instances over PostgreSQL behind HAProxy', () => {
  let c: Cluster;

  beforeAll(async () => {
    c = await startCluster({
      // 20 distinct wrong passwords for one login from one address are free; the 21st attempt waits.
      config: { signin: { freeFailuresPerAddress: 20, freeLoginsPerAddress: 50, freeFailuresPerLogin: 100 } },
    });
    const [a] = c.instances;
    await request(a.httpUrl).post('/api/v1/accounts').set(ADMIN).send({ id: 'acme', name: 'Acme', region: 'US' }).expect(201);
    await request(a.httpUrl).put('/api/v1/accounts/acme/phone-credentials').set(ADMIN).send({ username: PHONE.user, password: PHONE.password }).expect(200);
    await request(a.httpUrl).post('/api/v1/accounts/acme/users').set(ADMIN)
      .send({ username: 'ann', name: 'Ann Example', scope: 'basic', password: ANN.password }).expect(201);
    await request(a.httpUrl).post('/api/v1/accounts/acme/contacts').set(ADMIN).send({ lastName: 'Seed', workNumber: '+12145550100' }).expect(201);
  }, 240_000);

  afterAll(async () => { await c?.stop(); }, 60_000);

  it('starts three instances together on an empty database: each ready, the schema migrated once', async () => {
    for (const inst of c.instances) expect((await fetch(`${inst.httpUrl}/readyz`)).status).toBe(200);
    const admin = await c.pg.admin();
    try {
      await admin.query(`SELECT 1`);
      const db = new URL(c.databaseUrl).pathname.slice(1);
      const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname = $1`, [db]);
      expect(rows).toHaveLength(1);
    } finally {
      await admin.end();
    }
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: c.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number; n: string }>('SELECT version, count(*) OVER () AS n FROM dialbook_schema ORDER BY version');
      // every migration recorded exactly once, although three instances raced for it
      expect(new Set(rows.map((r) => r.version)).size).toBe(rows.length);
    } finally {
      await client.end();
    }
  });

  it('a write through A shows on B and C in LDAP, in the phonebook ETag and in a CardDAV sync: 200 writes, none missed', async () => {
    const [a, b, cc] = c.instances;
    const others = [b, cc];
    const tokens = new Map<string, string>();
    const etags = new Map<string, string>();
    for (const o of others) {
      tokens.set(o.name, (await sync(o, '')).token);
      etags.set(o.name, await phonebookEtag(o));
    }
    const missed: string[] = [];
    for (let i = 0; i < 200; i++) {
      const name = `Prop${String(i).padStart(3, '0')}`;
      const r = await request(a.httpUrl).post('/api/v1/accounts/acme/contacts').set(ADMIN).send({ lastName: name, workNumber: `+1214555${String(1000 + i)}` });
      expect(r.status).toBe(201);
      for (const o of others) {
        const inLdap = await eventually(async () => (await ldapNames(o.ldapPort, `(sn=${name})`)).includes(name), 5000);
        const etag = await phonebookEtag(o);
        const delta = await sync(o, tokens.get(o.name)!);
        if (!inLdap) missed.push(`${name} not in LDAP on ${o.name}`);
        if (etag === etags.get(o.name)) missed.push(`${name}: phonebook ETag unchanged on ${o.name}`);
        if (!delta.hrefs.some((h) => h.endsWith(`/${r.body.id}.vcf`))) missed.push(`${name} not in the CardDAV sync on ${o.name}`);
        etags.set(o.name, etag);
        tokens.set(o.name, delta.token);
      }
    }
    expect(missed).toEqual([]);
  }, 300_000);

  it('counts 20 wrong passwords spread over three instances as 20', async () => {
    // Phonebook sign-ins with 20 different wrong passwords, round robin over A, B and C: no
    // instance sees more than 7 itself, so only the shared count can reach the 20 that are free.
    for (let i = 0; i < 20; i++) {
      const inst = c.instances[i % 3];
      const r = await fetch(`${inst.httpUrl}/phonebook/acme/yealink.xml`, { headers: { Authorization: basic('guess', `wrong-${i}`) } });
      await r.arrayBuffer();
      expect(r.status).toBe(401);
    }
    for (const inst of c.instances) {
      const r = await fetch(`${inst.httpUrl}/phonebook/acme/yealink.xml`, { headers: { Authorization: basic('guess', 'wrong-21') } });
      await r.arrayBuffer();
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('kill -9 of one instance under load through HAProxy: no failed request, new LDAP binds succeed, its import leaves no rows', async () => {
    const b = c.instances[1];
    const before = (await request(c.instances[0].httpUrl).get('/api/v1/accounts/acme/contacts?limit=1').set(ADMIN)).body;
    const failures: string[] = [];
    let done = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const r = await fetch(`${c.httpUrl}/phonebook/acme/yealink.xml`, { headers: { Authorization: basic(PHONE.user, PHONE.password) } });
          await r.arrayBuffer();
          if (r.status !== 200) failures.push(`HTTP ${r.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
        done++;
      }
    };
    const load = Array.from({ length: 8 }, worker);

    // An import of 30,000 rows sent to B itself, killed while its transaction is open.
    const csv = ['Last Name,Work Phone', ...Array.from({ length: 30_000 }, (_, i) => `Bulk${i},+1469555${String(i).padStart(4, '0')}`)].join('\n');
    const upload = fetch(`${b.httpUrl}/api/v1/accounts/acme/contacts/import`, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'text/csv' }, body: csv })
      .then((r) => r.status, (err: Error) => err.message);
    const admin = await c.pg.admin();
    let importing = false;
    try {
      importing = await eventually(async () => {
        const { rows } = await admin.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle' AND xact_start IS NOT NULL AND query ILIKE 'COPY%'`,
          [new URL(c.databaseUrl).pathname.slice(1)]);
        return Number(rows[0].n) > 0;
      }, 30_000);
    } finally {
      await admin.end();
    }
    expect(importing).toBe(true);
    await b.kill();
    expect(typeof (await upload)).toBe('string'); // the connection broke: no answer

    // New LDAP connections through HAProxy while B is down (and before its check notices).
    for (let i = 0; i < 6; i++) {
      const r = await ldapsearch(c.ldapPort, ['-D', BIND, '-w', PHONE.password, '-b', BASE, '(sn=Seed)', 'sn']);
      expect(r.code, `${r.stderr}\n${c.haproxyOutput().slice(-3000)}`).toBe(0);
      expect(r.entries.map((e) => e.attrs.sn[0])).toEqual(['Seed']);
    }
    await sleep(3000);
    stop = true;
    await Promise.all(load);
    expect(done).toBeGreaterThan(50);
    expect(failures).toEqual([]);

    const after = (await request(c.instances[0].httpUrl).get('/api/v1/accounts/acme/contacts?limit=1').set(ADMIN)).body;
    expect(after.total).toBe(before.total);
    await c.start('b');
  }, 180_000);

  it('PostgreSQL lost while running: writes get 503 with Retry-After, /readyz 503, phones are answered from memory; all recover without a restart', async () => {
    const [a] = c.instances;
    expect((await ldapNames(a.ldapPort, '(sn=Seed)'))).toEqual(['Seed']);
    await c.pg.pause();
    try {
      const write = await request(a.httpUrl).post('/api/v1/accounts/acme/contacts').set(ADMIN).send({ lastName: 'WhileDown', workNumber: '+12145559999' });
      expect(write.status).toBe(503);
      expect(Number(write.headers['retry-after'])).toBeGreaterThan(0);
      expect(await eventually(async () => (await fetch(`${a.httpUrl}/readyz`)).status === 503, 10_000)).toBe(true);
      const during = await ldapsearch(a.ldapPort, ['-D', BIND, '-w', PHONE.password, '-b', BASE, '(sn=Seed)', 'sn']);
      expect(during.code, during.stderr).toBe(0);
      expect(during.entries.map((e) => e.attrs.sn[0])).toEqual(['Seed']);
      // a bind that needs the database (a user's password, never checked here before) is told
      // "unavailable" (52), on which a phone tries its second server, not "invalid credentials"
      const user = await ldapsearch(a.ldapPort, ['-D', `cn=ann,${BASE}`, '-w', ANN.password, '-b', BASE, '(sn=Seed)', 'sn']);
      expect(user.code, user.stderr).toBe(52);
      // a CardDAV write is told the same as an API write: 503, try again later
      const card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:down-1\r\nFN:Down Card\r\nN:Card;Down;;;\r\nTEL;TYPE=WORK:+12145550177\r\nEND:VCARD\r\n';
      const put = await fetch(`${a.httpUrl}/carddav/acme/ann/personal/down-1.vcf`, {
        method: 'PUT', body: card, headers: { 'Content-Type': 'text/vcard', Authorization: basic(ANN.login, ANN.password), 'If-None-Match': '*' },
      });
      await put.arrayBuffer();
      expect(put.status).toBe(503);
      expect(Number(put.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await c.pg.resume();
    }
    expect(await eventually(async () => (await fetch(`${a.httpUrl}/readyz`)).status === 200, 30_000)).toBe(true);
    await request(a.httpUrl).post('/api/v1/accounts/acme/contacts').set(ADMIN).send({ lastName: 'AfterDown', workNumber: '+12145559998' }).expect(201);
    for (const inst of c.instances) {
      expect(await eventually(async () => (await ldapNames(inst.ldapPort, '(sn=AfterDown)')).length === 1, 10_000)).toBe(true);
    }
  }, 120_000);

  it('two instances writing for 60 s through a PostgreSQL restart and a killed listener connection: every read model equals the database', async () => {
    const [a, b] = c.instances;
    const seconds = Number(process.env.CLUSTER_WRITE_SECONDS ?? 60);
    await request(a.httpUrl).post('/api/v1/accounts').set(ADMIN).send({ id: 'churn', name: 'Churn', region: 'US' }).expect(201);
    await request(a.httpUrl).put('/api/v1/accounts/churn/phone-credentials').set(ADMIN).send({ username: PHONE.user, password: PHONE.password }).expect(200);
    const until = Date.now() + seconds * 1000;
    let writes = 0;
    const writer = async (inst: Instance, tag: string) => {
      const mine: string[] = [];
      for (let i = 0; Date.now() < until; i++) {
        try {
          if (mine.length > 150 && i % 3 === 0) {
            const id = mine.splice(Math.floor(Math.random() * mine.length), 1)[0];
            const r = await fetch(`${inst.httpUrl}/api/v1/accounts/churn/contacts/${id}`, { method: 'DELETE', headers: ADMIN });
            if (r.status !== 204) mine.push(id);
          } else if (mine.length > 0 && i % 3 === 1) {
            const id = mine[Math.floor(Math.random() * mine.length)];
            await fetch(`${inst.httpUrl}/api/v1/accounts/churn/contacts/${id}`, { method: 'PATCH', headers: { ...ADMIN, 'Content-Type': 'application/json' }, body: JSON.stringify({ title: `t${i}` }) });
          } else {
            const r = await fetch(`${inst.httpUrl}/api/v1/accounts/churn/contacts`, {
              method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/json' },
              body: JSON.stringify({ lastName: `${tag}${i}`, workNumber: `+1972555${String(i % 10_000).padStart(4, '0')}` }),
            });
            if (r.status === 201) mine.push(((await r.json()) as { id: string }).id);
          }
          writes++;
        } catch { /* PostgreSQL restarting: the write failed whole, nothing to track */ }
      }
    };
    const chaos = (async () => {
      await sleep(seconds * 1000 / 3);
      // B's listener connection killed from the server side: B must notice and catch up.
      const admin = await c.pg.admin();
      try {
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'`);
      } finally {
        await admin.end();
      }
      await sleep(seconds * 1000 / 3);
      await c.pg.pause();
      await sleep(1000);
      await c.pg.resume();
    })();
    await Promise.all([writer(a, 'A'), writer(b, 'B'), chaos]);
    for (const inst of c.instances) expect(inst.child.exitCode, `${inst.name} died:\n${inst.output().slice(-4000)}`).toBe(null);
    expect(writes).toBeGreaterThan(100);

    const truth = new Set<string>();
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: { body: { items: { lastName: string }[]; next: string | null } } = await request(a.httpUrl)
        .get(`/api/v1/accounts/churn/contacts?limit=1000${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`).set(ADMIN);
      for (const item of page.body.items) truth.add(item.lastName);
      cursor = page.body.next;
    }
    for (const inst of c.instances) {
      const churnBind = ['-D', `cn=phones,o=churn,dc=dialbook`, '-w', PHONE.password, '-b', 'o=churn,dc=dialbook', '-z', '0'];
      let diff = '';
      const same = await eventually(async () => {
        diff = '';
        const seen = new Set<string>();
        for (const prefix of ['A', 'B']) {
          const r = await ldapsearch(inst.ldapPort, [...churnBind, `(sn=${prefix}*)`, 'sn']);
          if (r.code !== 0) diff = `ldapsearch (sn=${prefix}*): ${r.code} ${r.stderr}`;
          for (const e of r.entries) seen.add(e.attrs.sn[0]);
        }
        const missing = [...truth].filter((n) => !seen.has(n));
        const extra = [...seen].filter((n) => !truth.has(n));
        diff += ` missing ${missing.slice(0, 5).join(' ')} (${missing.length}), extra ${extra.slice(0, 5).join(' ')} (${extra.length})`;
        return missing.length === 0 && extra.length === 0;
      }, 10_000);
      expect(same, `read model of ${inst.name} equals the database (${truth.size} contacts): ${diff}`).toBe(true);
    }
  }, 240_000);
});
