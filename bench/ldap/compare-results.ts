// The correctness check: every bench query against dialbook and slapd (sizeLimit 0, both servers
// cap at 500), comparing the entries each returns by cn. Differences are grouped by kind so the
// bench can list them.
import ldap from 'ldapjs';

interface Server { url: string; bindDn: string; password: string }

function connect(s: Server): Promise<ldap.Client> {
  return new Promise((res, rej) => {
    const client = ldap.createClient({ url: s.url });
    client.on('error', rej);
    client.bind(s.bindDn, s.password, (err) => (err ? rej(err) : res(client)));
  });
}

function cns(client: ldap.Client, base: string, filter: string): Promise<{ cns: string[]; code: number }> {
  return new Promise((res, rej) => {
    client.search(base, { filter, scope: 'sub', attributes: ['cn'], sizeLimit: 0 }, (err, search) => {
      if (err) return rej(err);
      const out: string[] = [];
      search.on('searchEntry', (e) => {
        const cn = e.pojo.attributes.find((a: { type: string }) => a.type.toLowerCase() === 'cn');
        out.push(String(cn?.values[0] ?? ''));
      });
      search.on('error', (e: { code?: number }) => res({ cns: out, code: e.code ?? -1 }));
      search.on('end', (r) => res({ cns: out, code: r?.status ?? 0 }));
    });
  });
}

export async function compareResults(dialbook: Server, slapd: Server, base: string, filters: string[]): Promise<string[]> {
  const [a, b] = await Promise.all([connect(dialbook), connect(slapd)]);
  let same = 0;
  let capped = 0;
  const diffs: string[] = [];
  try {
    for (const f of filters) {
      const [x, y] = await Promise.all([cns(a, base, f), cns(b, base, f)]);
      if (x.cns.length >= 500 || y.cns.length >= 500) {
        // both stop at 500, in different orders: compare only the count
        if (x.cns.length === y.cns.length) { same++; capped++; } else diffs.push(`${f}: dialbook ${x.cns.length}, slapd ${y.cns.length} (capped)`);
        continue;
      }
      const sx = [...x.cns].sort().join('\n');
      const sy = [...y.cns].sort().join('\n');
      if (sx === sy) same++;
      else diffs.push(`${f}: dialbook ${x.cns.length}, slapd ${y.cns.length}`);
    }
  } finally {
    a.destroy();
    b.destroy();
  }
  return [`correctness: ${same}/${filters.length} queries returned the same entries from both (${capped} hit the 500 cap on both and were compared by count)`, ...diffs.slice(0, 20).map((d) => `  differs: ${d}`)];
}
