// CardDAV benchmark (issue 13): a 10,000-contact shared book synced by vdirsyncer (the Debian
// package) from dialbook and from Radicale (Debian's radicale) serving the same 10,000 cards.
// Each server runs pinned to core 1, vdirsyncer to core 0. Measured per server: the first sync
// (time, bytes sent by the server, server CPU) and the sync after one contact changed (the same,
// plus how many local cards changed: must be one). Bytes are counted by a small TCP relay in
// this process between vdirsyncer and the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/auth/passwords.ts';
import { contactToCard } from '../src/vcard/card-writer.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { contactFields } from '../src/domain/contact-schemas.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { ensureDebianTools } from './lib/debian-tools.ts';
import { fakeContact, rng } from './lib/fake-contacts.ts';

const N = Number(process.env.CARDDAV_BENCH_CONTACTS ?? 10_000);
/** CARDDAV_BENCH_SERVERS=dialbook re-measures dialbook alone (Radicale takes minutes per sync). */
const SERVERS = (process.env.CARDDAV_BENCH_SERVERS ?? 'dialbook,radicale').split(',');
const PASSWORD = 'bench-password-1';
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Relays a port to another, counting the bytes the server sends. */
function relay(target: number): Promise<{ port: number; bytes: () => number; server: Server }> {
  let down = 0;
  const server = createServer((client) => {
    const up = connect(target, '127.0.0.1');
    client.pipe(up);
    up.on('data', (d: Buffer) => { down += d.length; });
    up.pipe(client);
    const end = () => { client.destroy(); up.destroy(); };
    client.on('error', end); up.on('error', end); client.on('close', end); up.on('close', end);
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    res({ port, bytes: () => down, server });
  }));
}

async function waitForHttp(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try { await fetch(`http://127.0.0.1:${port}/`, { method: 'OPTIONS' }); return; } catch { await new Promise((r) => setTimeout(r, 200)); }
  }
  throw new Error(`server on ${port} did not come up`);
}

function vdirConfig(dir: string, url: string, user: string): string {
  mkdirSync(join(dir, 'local'), { recursive: true });
  const conf = join(dir, 'config');
  writeFileSync(conf, `[general]\nstatus_path = "${join(dir, 'status')}/"\n\n[pair book]\na = "server"\nb = "local"\ncollections = null\nconflict_resolution = "a wins"\n\n`
    + `[storage server]\ntype = "carddav"\nurl = "${url}"\nusername = "${user}"\npassword = "${PASSWORD}"\nread_only = true\n\n`
    + `[storage local]\ntype = "filesystem"\npath = "${join(dir, 'local')}/"\nfileext = ".vcf"\n`);
  return conf;
}

/** Asynchronous: the byte-counting relay runs in this process's event loop. */
function vdirsyncer(conf: string, ...args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn('taskset', ['-c', '0', 'vdirsyncer', '-c', conf, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: dirname(conf) } });
    let err = '';
    p.stderr!.on('data', (d) => { err = (err + String(d)).slice(-4000); });
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`vdirsyncer ${args.join(' ')} exited with ${code}: ${err}`))));
  });
}

function snapshot(dir: string): Map<string, string> {
  const p = join(dir, 'local');
  return new Map(readdirSync(p).filter((n) => n.endsWith('.vcf')).map((n) => [n, readFileSync(join(p, n), 'utf8')]));
}

interface SyncFigures { seconds: number; bytes: number; cpu: number; cards: number; changedCards: number }

async function measureSync(proc: ChildProcess, conf: string, dir: string, bytes: () => number): Promise<SyncFigures> {
  const before = snapshot(dir);
  const b0 = bytes();
  const c0 = cpuSeconds(proc.pid!);
  const t0 = process.hrtime.bigint();
  await vdirsyncer(conf, 'sync');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await new Promise((r) => setTimeout(r, 200)); // let the last bytes through the relay
  const cpu = cpuSeconds(proc.pid!) - c0;
  const after = snapshot(dir);
  const changedCards = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).length;
  return { seconds, bytes: bytes() - b0, cpu, cards: after.size, changedCards };
}

const line = (name: string, what: string, f: SyncFigures) =>
  console.log(`${name.padEnd(9)} ${what.padEnd(12)} ${f.seconds.toFixed(2).padStart(6)} s  ${(f.bytes / 1e6).toFixed(2).padStart(6)} MB  server CPU ${f.cpu.toFixed(2).padStart(5)} s  cards ${f.cards}  cards changed locally ${f.changedCards}`);

export async function run(): Promise<void> {
  ensureDebianTools(['vdirsyncer', 'radicale', 'taskset'], ['vdirsyncer', 'radicale', 'util-linux']);
  const work = mkdtempSync(join(tmpdir(), 'dialbook-carddav-bench-'));
  const procs: ChildProcess[] = [];
  const relays: Server[] = [];
  try {
    // dialbook: one account, one manager, N shared contacts (a few in groups).
    const dbDir = join(work, 'dialbook');
    mkdirSync(dbDir);
    const rand = rng(13);
    const store = openSqliteStore(join(dbDir, 'dialbook.db'));
    store.createAccount({ id: 'bench', name: 'Bench', region: 'US', settings: { showUsersInDirectory: false } }, { id: 'bench' });
    store.createUser('bench', { username: 'bench', name: 'Bench User', scope: 'office_manager', passwordHash: await hashPassword(PASSWORD) }, { id: 'bench' });
    store.applyBatch('bench', { source: 'shared' }, Array.from({ length: N }, (_, i) => {
      const c = fakeContact(i, rand);
      return { op: 'create' as const, contact: prepareContact({ ...c, groups: i % 5 === 0 ? ['Customers'] : [] }, 'US') };
    }), { id: 'bench' });
    // Radicale: the same cards, as dialbook renders them, in its filesystem storage.
    const contacts = store.allContacts('bench', { source: 'shared' });
    const radDir = join(work, 'radicale');
    const book = join(radDir, 'collections', 'collection-root', 'bench', 'shared');
    mkdirSync(book, { recursive: true });
    writeFileSync(join(book, '.Radicale.props'), JSON.stringify({ tag: 'VADDRESSBOOK', 'D:displayname': 'Shared contacts' }));
    for (const c of contacts) writeFileSync(join(book, `${c.id}.vcf`), contactToCard(c, { version: '3.0', uid: c.id, nameFormat: 'first_last' }));
    const changeId = contacts[Math.floor(N / 2)].id;

    const dbPort = 41000 + Math.floor(Math.random() * 1000);
    const radPort = dbPort + 1000;
    writeFileSync(join(radDir, 'config'), `[server]\nhosts = 127.0.0.1:${radPort}\n[auth]\ntype = none\n[storage]\nfilesystem_folder = ${join(radDir, 'collections')}\n[rights]\ntype = owner_only\n[logging]\nlevel = warning\n`);
    store.close();

    const dialbook = spawn('taskset', ['-c', '1', process.execPath, join(root, 'bin/dialbook.js'), 'serve', '--http-port', String(dbPort), '--ldap-port', '0'],
      { env: { ...process.env, DIALBOOK_DATA_DIR: dbDir, DIALBOOK_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    procs.push(dialbook);
    const radicale = spawn('taskset', ['-c', '1', '/usr/bin/python3', '-m', 'radicale', '--config', join(radDir, 'config')], { stdio: 'ignore' });
    procs.push(radicale);
    await waitForHttp(dbPort);
    await waitForHttp(radPort);

    console.log(`${N} contacts in one shared book; vdirsyncer on core 0, each server on core 1`);
    const results: Record<string, SyncFigures[]> = {};
    for (const [name, proc, port, path] of [
      ['dialbook', dialbook, dbPort, '/carddav/bench/bench/shared/'],
      ['radicale', radicale, radPort, '/bench/shared/'],
    ] as const) {
      if (!SERVERS.includes(name)) continue;
      const r = await relay(port);
      relays.push(r.server);
      const dir = join(work, `client-${name}`);
      const conf = vdirConfig(dir, `http://127.0.0.1:${r.port}${path}`, name === 'dialbook' ? 'bench@bench' : 'bench');
      await vdirsyncer(conf, 'discover');
      const first = await measureSync(proc, conf, dir, r.bytes);
      line(name, 'first sync', first);
      // One contact changes on the server.
      if (name === 'dialbook') {
        const s = openSqliteStore(join(dbDir, 'dialbook.db'));
        const c = s.getContactsByIds('bench', [changeId])[0];
        s.updateContact('bench', { source: 'shared' }, changeId, prepareContact({ ...contactFields(c), title: 'Changed' }, 'US'), { id: 'bench' });
        s.close();
      } else {
        const file = join(book, `${changeId}.vcf`);
        writeFileSync(file, readFileSync(file, 'utf8').replace('END:VCARD', 'TITLE:Changed\r\nEND:VCARD'));
      }
      const second = await measureSync(proc, conf, dir, r.bytes);
      line(name, 'after 1 edit', second);
      results[name] = [first, second];
    }
    const [d, rad] = [results.dialbook, results.radicale];
    if (d && rad) console.log(`server CPU dialbook/radicale: first sync ${(d[0].cpu / rad[0].cpu).toFixed(3)}, after one edit ${(d[1].cpu / rad[1].cpu).toFixed(3)} (issue 20: <= 0.1 first, <= 0.05 after one edit)`);
  } catch (err) {
    console.error('carddav bench failed:', err);
    throw err;
  } finally {
    for (const r of relays) r.close();
    await Promise.all(procs.map((p) => new Promise((res) => {
      if (p.exitCode !== null) return res(null);
      p.once('exit', res);
      p.kill('SIGTERM');
    })));
    rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  }
}
