// The correctness check: every bench query against dialbook and slapd through one `ldapsearch -f`
// per server (C client: fast enough for 2,000 queries), sizeLimit 500 for both, comparing the
// entries each returns by cn. Capped answers are compared by count (the two servers order
// differently). Differences are listed so the bench output can justify them.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Server { port: number; bindDn: string; password: string }

const CAP = 500;

/** cn values per query, in the order of the queries file. */
function answers(s: Server, base: string, file: string, count: number): string[][] {
  let out: string;
  try {
    out = execFileSync('ldapsearch', ['-x', '-o', 'ldif-wrap=no', '-H', `ldap://127.0.0.1:${s.port}`, '-D', s.bindDn, '-w', s.password, '-b', base,
      '-z', String(CAP), '-c', '-f', file, '(&%s)', 'cn'], { encoding: 'utf8', maxBuffer: 512 << 20 });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? ''); // exit code 4 when any search hit the cap
  }
  const sections = out.split('\n# filter: ').slice(1);
  if (sections.length !== count) throw new Error(`ldapsearch answered ${sections.length} of ${count} searches`);
  return sections.map((sec) => sec.split('\n').filter((l) => l.startsWith('cn: ')).map((l) => l.slice(4)));
}

export function compareResults(dialbook: Server, slapd: Server, base: string, filters: string[], workDir: string): string[] {
  const file = join(workDir, 'compare-queries.txt');
  writeFileSync(file, filters.join('\n') + '\n');
  const a = answers(dialbook, base, file, filters.length);
  const b = answers(slapd, base, file, filters.length);
  let same = 0;
  let capped = 0;
  const diffs: string[] = [];
  filters.forEach((f, i) => {
    const [x, y] = [a[i], b[i]];
    if (x.length >= CAP || y.length >= CAP) {
      if (x.length === y.length) { same++; capped++; } else diffs.push(`${f}: dialbook ${x.length}, slapd ${y.length} (capped)`);
      return;
    }
    if ([...x].sort().join('\n') === [...y].sort().join('\n')) same++;
    else {
      const onlyA = x.filter((c) => !y.includes(c)).slice(0, 3);
      const onlyB = y.filter((c) => !x.includes(c)).slice(0, 3);
      diffs.push(`${f}: dialbook ${x.length}, slapd ${y.length}; only dialbook: ${JSON.stringify(onlyA)}, only slapd: ${JSON.stringify(onlyB)}`);
    }
  });
  return [`correctness: ${same}/${filters.length} queries returned the same entries from both (${capped} reached the ${CAP} cap on both and were compared by count)`,
    ...diffs.slice(0, 25).map((d) => `  differs: ${d}`), ...(diffs.length > 25 ? [`  ... and ${diffs.length - 25} more`] : [])];
}
