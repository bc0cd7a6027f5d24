// Memory after hostile uploads (issue #23, 5): uploads each XLSX bomb of test/spreadsheet/xlsx-bomb.ts
// to a real `dialbook serve` child process (default limits) and prints its RSS and thread count
// (/proc/<pid>/status, Linux) after each, then every 10 s while idle. Not part of `npm run bench`:
// the shared-strings bomb alone keeps an import thread busy 15-80 s.
// usage: npx tsx bench/upload-bomb-rss.ts [idle seconds to watch afterwards, e.g. 90]
import { readFileSync, rmSync } from 'node:fs';
import { seedDataDir, startChildServer } from '../test/helpers/child-server.ts';
import { seedAccount } from '../test/helpers/test-server.ts';
import { xlsxBomb, xlsxSharedStringsBomb, xlsxWideRow } from '../test/spreadsheet/xlsx-bomb.ts';

const idleSeconds = Number(process.argv[2] ?? 0);
let token = '';
const dataDir = await seedDataDir(async (ctx) => {
  token = (await seedAccount(ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }] })).tokens.olivia;
});
const server = await startChildServer(dataDir);
const pid = server.child.pid!;
const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const upload = async (name: string, file: Buffer) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(file)]), name);
  const t = Date.now();
  const res = await fetch(`${server.httpUrl}/api/v1/accounts/acme/contacts/import`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${token}` } });
  const body = await res.text();
  console.log(`${name.padEnd(18)} ${res.status} ${String(Date.now() - t).padStart(6)} ms  rss ${rss()} MB  threads ${threads()}  ${body.slice(0, 110)}`);
};
console.log(`start: rss ${rss()} MB, threads ${threads()}`);
const bombs: [string, () => Buffer][] = [
  ['rows-2.5M.xlsx', () => xlsxBomb(2_500_000)],
  ['wide-20M.xlsx', () => xlsxWideRow(20_000_000)],
  ['styles-64M.xlsx', () => xlsxBomb(10, true, 64 << 20)],
  ['rows-2.5M.xlsx', () => xlsxBomb(2_500_000)],
  ['wide-20M.xlsx', () => xlsxWideRow(20_000_000)],
  ['sst-190M.xlsx', () => xlsxSharedStringsBomb(190 << 20)],
  ['ok-1000.xlsx', () => xlsxBomb(1000, true)],
];
for (const [name, make] of bombs) await upload(name, make());
for (let s = 10; s <= idleSeconds; s += 10) {
  await new Promise((r) => setTimeout(r, 10000));
  console.log(`idle ${s} s: rss ${rss()} MB, threads ${threads()}`);
}
server.kill();
rmSync(dataDir, { recursive: true, force: true });
