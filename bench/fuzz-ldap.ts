// `npm run fuzz [ldap] [count]`: sends `count` (default 100,000) malformed and random PDUs to a
// real dialbook server in a child process, in batches of 5,000. After each batch: the server must
// still be running, a normal ldapsearch must answer correctly, and its RSS is reported. Exits
// non-zero on a crash, a hang (a connection not closed 10 s after the client's FIN) or a wrong
// answer. PDUs come from bench/lib/ldap-pdus.ts (seeded: runs are repeatable).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newPathToken } from '../src/auth/phone-credentials.ts';
import { SecretBox } from '../src/auth/secret-box.ts';
import { prepareContact } from '../src/domain/prepare-contact.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { PduGenerator, sendPdus, take } from './lib/ldap-pdus.ts';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).filter((a) => a !== 'ldap');
const TOTAL = Number(args[0] ?? 100_000);
const BATCH = Math.min(5000, TOTAL);
const SEED = Number(process.env.FUZZ_SEED ?? 8);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** V8 heap in use, from the server's own /metrics (RSS alone also shows memory not yet collected). */
async function heapMb(httpPort: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return m ? Number(m[1]) / 2 ** 20 : NaN;
  } catch {
    return NaN;
  }
}

async function healthy(port: number): Promise<boolean> {
  try {
    const { stdout } = await run('ldapsearch', ['-x', '-LLL', '-H', `ldap://127.0.0.1:${port}`, '-D', 'phones@fuzz', '-w', 'fuzz-password', '-b', 'o=fuzz,dc=dialbook', '(sn=targ*)', 'cn'], { timeout: 10_000 });
    return /^cn: Fuzzy Target$/m.test(stdout) && (stdout.match(/^dn:/gm) ?? []).length === 1;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dialbook-fuzz-'));
  const store = openSqliteStore(join(dir, 'dialbook.db'));
  store.createAccount({ id: 'fuzz', name: 'Fuzz', region: 'US', settings: { ldapAnonymous: true } }, { id: 'fuzz' });
  const contacts = [{ firstName: 'Fuzzy', lastName: 'Target', workNumber: '2145550100' },
    ...Array.from({ length: 200 }, (_v, i) => ({ firstName: 'Jo', lastName: `Smith${i}`, workNumber: `2145551${String(i).padStart(3, '0')}` }))];
  store.applyBatch('fuzz', { source: 'shared' }, contacts.map((c) => ({ op: 'create' as const, contact: prepareContact(c, 'US') })), { id: 'fuzz' });
  store.setPhoneCredentials('fuzz', { username: 'phones', secretSealed: SecretBox.forDataDir(dir).seal('fuzz-password'), pathToken: newPathToken() }, { id: 'fuzz' });
  store.close();
  const port = 30000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ http: { host: '127.0.0.1' }, ldap: { host: '127.0.0.1', messageDeadlineMs: 1000 }, log: { level: 'warn' } }));
  const server = spawn(process.execPath, [join(root, 'bin/dialbook.js'), '--config', join(dir, 'config.json'), 'serve', '--http-port', String(port + 1), '--ldap-port', String(port)],
    { env: { ...process.env, DIALBOOK_DATA_DIR: dir }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited: string | null = null;
  server.on('exit', (code, signal) => { exited = `exit code ${code} signal ${signal}`; });
  for (let i = 0; i < 100 && !(await healthy(port)); i++) await new Promise((r) => setTimeout(r, 200));

  const gen = new PduGenerator(SEED);
  const started = Date.now();
  let sent = 0;
  let hung = 0;
  let failed = false;
  let peakRss = 0;
  console.log(`fuzzing ldap://127.0.0.1:${port} (server pid ${server.pid}) with ${TOTAL} PDUs, seed ${SEED}; RSS at start ${rssMb(server.pid!).toFixed(0)} MB`);
  try {
    while (sent < TOTAL && !failed) {
      const n = Math.min(BATCH, TOTAL - sent);
      const tally = await sendPdus(port, take(gen, n), { concurrency: 24, localAddress: '127.0.0.2' });
      sent += tally.sent;
      hung += tally.hung;
      const ok = exited === null && await healthy(port);
      const rss = exited === null ? rssMb(server.pid!) : NaN;
      const heap = exited === null ? await heapMb(port + 1) : NaN;
      peakRss = Math.max(peakRss, rss);
      console.log(`${String(sent).padStart(7)} PDUs  answered on ${tally.answered}/${n} connections  hung ${tally.hung}  server RSS ${rss.toFixed(0)} MB, heap used ${heap.toFixed(0)} MB  ldapsearch ${ok ? 'correct' : 'FAILED'}${exited ? `  server ${exited}` : ''}`);
      if (!ok || tally.hung > 0 || tally.sent !== n) failed = true;
    }
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const secs = (Date.now() - started) / 1000;
  console.log(`${failed ? 'FAILED' : 'OK'}: ${sent} PDUs in ${secs.toFixed(0)} s (${(sent / secs).toFixed(0)}/s), hung ${hung}, server peak RSS ${peakRss.toFixed(0)} MB${exited ? `, server ${exited}` : ''}`);
  process.exit(failed ? 1 : 0);
}

await main();
