// What phones do while a benchmark loads the server: an LDAP caller-ID search and a phonebook
// download (of the small 'probe' account, phone credentials phones / probe-password), one request
// after another, with their latencies; the import and export benches print its p99.
import ldap from 'ldapjs';
import type { RunningServer } from '../../src/server.ts';

export const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
export const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

export interface Probe { ldap: number[]; phonebook: number[]; errors: number }

/** What phones do, one request at a time, until `until` resolves. */
export async function probe(srv: Pick<RunningServer, 'ldapPort' | 'httpPort'>, until: Promise<unknown>, account = 'probe', withPhonebook = true): Promise<Probe> {
  let done = false;
  void until.finally(() => { done = true; });
  const out: Probe = { ldap: [], phonebook: [], errors: 0 };
  const client = ldap.createClient({ url: `ldap://127.0.0.1:${srv.ldapPort}` });
  client.on('error', () => { out.errors++; });
  await new Promise<void>((res, rej) => client.bind(`cn=phones,o=${account},dc=dialbook`, 'probe-password', (e) => (e ? rej(e) : res())));
  const auth = 'Basic ' + Buffer.from('phones:probe-password').toString('base64');
  let i = 0;
  while (!done) {
    let t = process.hrtime.bigint();
    const found = await new Promise<number>((res) => {
      client.search(`o=${account},dc=dialbook`, { scope: 'sub', filter: `(telephoneNumber=*${String(1_000_000 + (i % 1000)).slice(-7)})`, attributes: ['cn'] }, (err, r) => {
        if (err) return res(-1);
        let n = 0;
        r.on('searchEntry', () => n++);
        r.on('error', () => res(-1));
        r.on('end', () => res(n));
      });
    });
    // the probe account holds the numbers asked for; another account only has to answer
    if (found < (account === 'probe' ? 1 : 0)) out.errors++;
    out.ldap.push(secs(t) * 1000);
    i++;
    if (!withPhonebook) continue;
    t = process.hrtime.bigint();
    const pb = await fetch(`http://127.0.0.1:${srv.httpPort}/phonebook/probe/yealink.xml`, { headers: { Authorization: auth } });
    await pb.arrayBuffer();
    if (pb.status !== 200) out.errors++;
    out.phonebook.push(secs(t) * 1000);
  }
  client.unbind();
  return out;
}

export function printProbe(label: string, p: Probe): void {
  const f = (xs: number[]) => `${xs.length} requests, p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(`${label}`);
  console.log(`  LDAP caller-ID search   ${f(p.ldap)}`);
  if (p.phonebook.length) console.log(`  phonebook (Yealink XML) ${f(p.phonebook)}`);
  if (p.errors) console.log(`  errors: ${p.errors}`);
}
