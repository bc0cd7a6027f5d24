// LDAP benchmark (issues 4 and 8): 100,000 contacts (LDAP_BENCH_CONTACTS for other sizes); a phone-like mix (70% name prefix, 30% caller-ID
// tail) over 16 persistent connections, against dialbook and against OpenLDAP's slapd (mdb,
// indexed) loaded with the same contacts, with the same C load client (libldap) in the same run.
// Servers are pinned to core 1, the client to core 0. Needs Debian's slapd, ldap-utils,
// libldap2-dev and gcc: installed with apt-get when missing. BENCH_DATABASE=both measures dialbook
// over SQLite and over PostgreSQL (a throwaway server, unpinned) against the same slapd.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import { newPathToken } from '../src/auth/phone-credentials.ts';
import { SecretBox } from '../src/auth/secret-box.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { EXPORT_COLUMNS, EXPORT_HEADERS } from '../src/spreadsheet/header-aliases.ts';
import { benchDatabase, benchEngines, loadAverage, type BenchDatabase } from './lib/bench-db.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';
import { ensureDebianTools } from './lib/debian-tools.ts';
import { compareResults } from './ldap/compare-results.ts';
import { readModelFigures } from './ldap/read-model-figures.ts';

/** Contacts in the directory: LDAP_BENCH_CONTACTS=10000 or 1000000 for the other sizes. */
const N = Number(process.env.LDAP_BENCH_CONTACTS ?? 100_000);
/** LDAP_BENCH_IMPORT=0 skips the search-during-import measurement. */
const WITH_IMPORT = process.env.LDAP_BENCH_IMPORT !== '0';
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const IMPORT_ROWS = 100_000;
const CONNECTIONS = 16;
const SECONDS = 15;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

interface LoadResult { searches: number; errors: number; entries: number; seconds: number; p50_ms: number; p99_ms: number }

/** Plain-digit numbers, so slapd (which ignores only spaces and hyphens) can match them too. */
function contacts(count = N, seed = 7, from = 0) {
  const rand = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const c = fakeContact(from + i, rand);
    return { ...c, lastName: c.lastName.normalize('NFD').replace(/[\u0300-\u036f]/g, ''), firstName: c.firstName.normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
      workNumber: c.workNumber.replace(/\D/g, '').slice(1), mobileNumber: c.mobileNumber.replace(/\D/g, ''), groups: [] };
  });
}

async function loadDialbook(dir: string, list: ReturnType<typeof contacts>, db: BenchDatabase): Promise<void> {
  const store = await db.open(dir);
  try {
    await store.createAccount({ id: 'bench', name: 'Bench', region: 'US', settings: { showUsersInDirectory: false } }, { id: 'bench' });
    await store.applyBatch('bench', { source: 'shared' }, list.map((c) => ({ op: 'create' as const, contact: prepareContact(c, 'US') })), { id: 'bench' });
    await store.setPhoneCredentials('bench', { username: 'phones', secretSealed: SecretBox.forDataDir(dir).seal('bench-password'), pathToken: newPathToken() }, { id: 'bench' });
  } finally {
    await store.close();
  }
}

function loadSlapd(dir: string, list: ReturnType<typeof contacts>): string {
  const db = join(dir, 'db');
  mkdirSync(db, { recursive: true });
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, [
    'include /etc/ldap/schema/core.schema', 'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema', 'modulepath /usr/lib/ldap', 'moduleload back_mdb',
    `pidfile ${dir}/slapd.pid`, 'sizelimit 500', 'database mdb', 'maxsize 2147483648', 'suffix "dc=dialbook"',
    'rootdn "cn=admin,dc=dialbook"', 'rootpw bench-password', `directory ${db}`,
    'index objectClass eq', 'index cn,sn,givenName eq,sub', 'index telephoneNumber,mobile eq,sub', '',
  ].join('\n'));
  const ldif: string[] = ['dn: dc=dialbook\nobjectClass: dcObject\nobjectClass: organization\ndc: dialbook\no: dialbook\n',
    'dn: o=bench,dc=dialbook\nobjectClass: organization\no: bench\n'];
  list.forEach((c, i) => {
    const cn = [c.firstName, c.lastName].filter(Boolean).join(' ') || c.company;
    const lines = [`dn: uid=${i},o=bench,dc=dialbook`, 'objectClass: inetOrgPerson', `uid: ${i}`, `cn: ${cn}`, `sn: ${c.lastName || c.company}`];
    if (c.firstName) lines.push(`givenName: ${c.firstName}`);
    if (c.company) lines.push(`o: ${c.company}`);
    lines.push(`telephoneNumber: ${c.workNumber}`);
    if (c.mobileNumber) lines.push(`mobile: ${c.mobileNumber}`);
    ldif.push(lines.join('\n') + '\n');
  });
  writeFileSync(join(dir, 'data.ldif'), ldif.join('\n'));
  execFileSync('/usr/sbin/slapadd', ['-q', '-f', conf, '-l', join(dir, 'data.ldif')], { stdio: 'inherit' });
  return conf;
}

/** The phone-like mix: 70% name prefixes (what a user types), 30% caller-ID tails. */
function queries(list: ReturnType<typeof contacts>): string[] {
  const rand = rng(11);
  const out: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const c = list[Math.floor(rand() * list.length)];
    if (rand() < 0.7) {
      const name = (rand() < 0.5 ? c.lastName : c.firstName) || c.company;
      const p = name.slice(0, 2 + Math.floor(rand() * 3)).toLowerCase();
      out.push(`(|(cn=${p}*)(sn=${p}*))`);
    } else {
      const tail = (rand() < 0.8 || !c.mobileNumber ? c.workNumber : c.mobileNumber).slice(-7);
      out.push(`(|(telephoneNumber=*${tail})(mobile=*${tail}))`);
    }
  }
  return out;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100/s)
}

function waitForPort(port: number): void {
  for (let i = 0; i < 300; i++) {
    try { execFileSync('ldapsearch', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-b', '', '-s', 'base', '(objectClass=*)'], { stdio: 'ignore' }); return; } catch { execFileSync('sleep', ['0.2']); }
  }
  throw new Error(`server on ${port} did not come up`);
}

function load(client: string, port: number, bindDn: string, base: string, qfile: string, seconds: number): LoadResult {
  const out = execFileSync('taskset', ['-c', '0', client, `ldap://127.0.0.1:${port}`, bindDn, 'bench-password', base, qfile, String(CONNECTIONS), String(seconds)], { encoding: 'utf8' });
  return JSON.parse(out) as LoadResult;
}

function measure(name: string, proc: ChildProcess, client: string, port: number, bindDn: string, base: string, qfile: string) {
  // One real search first: dialbook builds the account's read model on its first search (timed
  // here, so the load below never measures a build).
  const t = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync('ldapsearch', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', bindDn, '-w', 'bench-password', '-b', base, '-z', '1', '(sn=a*)', 'cn'], { stdio: 'ignore', timeout: 600_000 });
      break;
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 4) break; // sizeLimitExceeded, as asked
      // 3: timeLimitExceeded while the build ran longer than ldap.maxTimeLimitMs; it goes on
      if (status !== 3 || attempt > 20) throw e;
    }
  }
  console.log(`${name}: first search ${((Date.now() - t) / 1000).toFixed(1)} s`);
  load(client, port, bindDn, base, qfile, 3); // warm-up
  const cpu0 = cpuSeconds(proc.pid!);
  const r = load(client, port, bindDn, base, qfile, SECONDS);
  const cpu = cpuSeconds(proc.pid!) - cpu0;
  const rate = r.searches / r.seconds;
  const cpuPer = (cpu / r.searches) * 1000;
  console.log(`${name.padEnd(9)} ${rate.toFixed(0).padStart(7)} searches/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms  server CPU ${cpuPer.toFixed(3)} ms/search  errors ${r.errors}  entries/search ${(r.entries / r.searches).toFixed(1)}`);
  return { rate, p99: r.p99_ms, cpuPer };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The import file: IMPORT_ROWS new contacts in the export layout. */
function importCsv(): string {
  const rows: string[][] = [EXPORT_COLUMNS.map((k) => EXPORT_HEADERS[k])];
  for (const c of contacts(IMPORT_ROWS, 99, N + 1)) {
    const cells: Record<string, string> = { id: '', firstName: c.firstName, lastName: c.lastName, company: c.company, title: '', workNumber: c.workNumber,
      mobileNumber: c.mobileNumber, homeNumber: '', faxNumber: '', email: '', groups: '' };
    rows.push(EXPORT_COLUMNS.map((k) => cells[k]));
  }
  return stringify(rows);
}

/** Search load while a 100k-row import runs in the dialbook process (POST .../import). */
async function loadDuringImport(client: string, dbPort: number, httpPort: number, qfile: string): Promise<void> {
  const csv = importCsv();
  const run = promisify(execFile);
  const loading = run('taskset', ['-c', '0', client, `ldap://127.0.0.1:${dbPort}`, 'cn=phones,o=bench,dc=dialbook', 'bench-password', 'o=bench,dc=dialbook', qfile, String(CONNECTIONS), String(SECONDS)], { encoding: 'utf8' });
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = Date.now();
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/accounts/bench/contacts/import?mode=add`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: csv,
  });
  const importS = (Date.now() - t0) / 1000;
  const r = JSON.parse((await loading).stdout) as LoadResult;
  console.log(`during a ${IMPORT_ROWS.toLocaleString('en-US')}-row import (HTTP ${res.status}, ${importS.toFixed(1)} s, same process): ${(r.searches / r.seconds).toFixed(0)} searches/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms  errors ${r.errors}`);
}

export async function run(): Promise<void> {
  ensureDebianTools(['/usr/sbin/slapd', 'ldapsearch', 'gcc', 'taskset', '/usr/include/ldap.h'], ['slapd', 'ldap-utils', 'libldap2-dev', 'gcc', 'util-linux']);
  const work = mkdtempSync(join(tmpdir(), 'dialbook-ldap-bench-'));
  const procs: ChildProcess[] = [];
  const dbs: BenchDatabase[] = [];
  try {
    const client = join(work, 'ldapload');
    execFileSync('gcc', ['-O2', '-o', client, join(here, 'ldap/ldapload.c'), '-lldap', '-llber', '-lpthread'], { stdio: 'inherit' });
    const list = contacts();
    const qfile = join(work, 'queries.txt');
    const filters = queries(list);
    writeFileSync(qfile, filters.join('\n') + '\n');
    const engines = benchEngines();
    const dialbooks: { dbDir: string; db: BenchDatabase }[] = [];
    for (const engine of engines) {
      const dbDir = join(work, `dialbook-${engine}`);
      mkdirSync(dbDir);
      const db = await benchDatabase(engine, 'ldap');
      dbs.push(db);
      const t = Date.now();
      await loadDialbook(dbDir, list, db);
      console.log(`dialbook (${engine}) loaded ${N} contacts in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      if (engine === 'sqlite') console.log(await readModelFigures(join(dbDir, 'dialbook.db'), 'bench', filters));
      dialbooks.push({ dbDir, db });
    }
    const t = Date.now();
    const conf = loadSlapd(join(work, 'slapd'), list);
    console.log(`slapd loaded ${N} entries in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    const basePort = 39000 + Math.floor(Math.random() * 900);
    const slapdPort = basePort + 1000;
    const slapd = spawn('taskset', ['-c', '1', '/usr/sbin/slapd', '-f', conf, '-h', `ldap://127.0.0.1:${slapdPort}/`, '-d', '0'], { stdio: 'ignore' });
    procs.push(slapd);
    waitForPort(slapdPort);
    console.log(`${CONNECTIONS} connections, ${SECONDS} s each, 70% name prefix / 30% caller-ID tail, sizeLimit 50`);
    for (const [k, { dbDir, db }] of dialbooks.entries()) {
      const dbPort = basePort + k * 10;
      const httpPort = basePort + 2000 + k * 10;
      const dialbook = spawn('taskset', ['-c', '1', process.execPath, join(root, 'bin/dialbook.js'), 'serve', '--http-port', String(httpPort), '--ldap-port', String(dbPort)],
        { env: { ...process.env, DIALBOOK_DATA_DIR: dbDir, DIALBOOK_LOG_LEVEL: 'warn', DIALBOOK_ADMIN_TOKEN: ADMIN_TOKEN, ...db.env }, stdio: 'ignore' });
      procs.push(dialbook);
      waitForPort(dbPort);
      const name = `dialbook/${db.engine}`;
      console.log(`${name}: ${loadAverage()}`);
      // taskset execs the server, so the pids are the servers'
      const d = measure(name, dialbook, client, dbPort, 'cn=phones,o=bench,dc=dialbook', 'o=bench,dc=dialbook', qfile);
      // slapd right after each dialbook run: the machine's load moves between runs
      console.log(`slapd: ${loadAverage()}`);
      const s = measure('slapd', slapd, client, slapdPort, 'cn=admin,dc=dialbook', 'o=bench,dc=dialbook', qfile);
      console.log(`ratio ${name}/slapd: throughput ${(d.rate / s.rate).toFixed(2)}, p99 ${(d.p99 / s.p99).toFixed(2)}, CPU per search ${(d.cpuPer / s.cpuPer).toFixed(2)}  (${loadAverage()})`);
      console.log(`server memory (RSS): ${name} ${rssMb(dialbook.pid!).toFixed(0)} MB, slapd ${rssMb(slapd.pid!).toFixed(0)} MB`);
      const compared = compareResults({ port: dbPort, bindDn: 'cn=phones,o=bench,dc=dialbook', password: 'bench-password' },
        { port: slapdPort, bindDn: 'cn=admin,dc=dialbook', password: 'bench-password' }, 'o=bench,dc=dialbook', filters, work);
      for (const line of compared) console.log(line);
      if (WITH_IMPORT) await loadDuringImport(client, dbPort, httpPort, qfile);
      dialbook.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const db of dbs) await db.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
