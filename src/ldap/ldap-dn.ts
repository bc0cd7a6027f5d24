// Our directory's names: the suffix, o=<account>,<suffix>, uid=<contact id>,o=<account>,<suffix>.
// Kept as plain strings: every DN we hand out is built here and parsed back here.

export type DirectoryName =
  | { kind: 'root' }
  | { kind: 'suffix' }
  | { kind: 'account'; accountId: string }
  | { kind: 'entry'; accountId: string; entryId: string }
  | { kind: 'bindName'; accountId: string; username: string }
  | { kind: 'outside' };

/** Lower case, no spaces around separators: "O=Acme, DC=dialbook" -> "o=acme,dc=dialbook". */
export function normalizeDn(dn: string): string {
  return dn
    .split(',')
    .map((rdn) => rdn.split('=').map((p) => p.trim()).join('='))
    .filter((rdn) => rdn !== '')
    .join(',')
    .toLowerCase();
}

export class DirectoryNames {
  readonly suffix: string;

  constructor(suffix: string) {
    this.suffix = normalizeDn(suffix);
  }

  account(accountId: string): string {
    return `o=${accountId},${this.suffix}`;
  }

  entry(accountId: string, entryId: string): string {
    return `uid=${entryId},o=${accountId},${this.suffix}`;
  }

  parse(dn: string): DirectoryName {
    const n = normalizeDn(dn);
    if (n === '') return { kind: 'root' };
    if (n === this.suffix) return { kind: 'suffix' };
    if (!n.endsWith(',' + this.suffix)) return { kind: 'outside' };
    const rdns = n.slice(0, -(this.suffix.length + 1)).split(',');
    const [type, value] = splitRdn(rdns[rdns.length - 1]);
    if (type !== 'o' || !value) return { kind: 'outside' };
    if (rdns.length === 1) return { kind: 'account', accountId: value };
    if (rdns.length !== 2) return { kind: 'outside' };
    const [t2, v2] = splitRdn(rdns[0]);
    if (t2 === 'uid' && v2) return { kind: 'entry', accountId: value, entryId: v2 };
    if (t2 === 'cn' && v2) return { kind: 'bindName', accountId: value, username: v2 };
    return { kind: 'outside' };
  }
}

function splitRdn(rdn: string): [string, string] {
  const i = rdn.indexOf('=');
  return i < 0 ? [rdn, ''] : [rdn.slice(0, i), unescapeDnValue(rdn.slice(i + 1))];
}

function unescapeDnValue(v: string): string {
  return v.replace(/\\([0-9a-f]{2}|.)/gi, (_m, c: string) => (c.length === 2 ? String.fromCharCode(parseInt(c, 16)) : c));
}

/**
 * The login a bind name stands for, in any of the forms phones are set up with:
 * cn=<user>,o=<account>,<suffix> or uid=<user>,o=<account>,<suffix> (OpenLDAP-minded setups name
 * the login by uid), <user>@<account> (many phones cannot send a DN) and <account>\<user>
 * (the Windows "DOMAIN\user" form, as phones set up for Active Directory send it).
 */
export function parseBindName(names: DirectoryNames, name: string): { username: string; accountId: string } | null {
  const at = parseAtName(name) ?? parseDomainName(name);
  if (at) return at;
  const parsed = names.parse(name);
  if (parsed.kind === 'bindName') return { accountId: parsed.accountId, username: parsed.username };
  if (parsed.kind === 'entry') return { accountId: parsed.accountId, username: parsed.entryId };
  return null;
}

/** A bind name given as "<account>\<username>" (Windows down-level logon name). */
export function parseDomainName(name: string): { username: string; accountId: string } | null {
  const m = /^([a-z0-9-]+)\\([^\\@,=\s]+)$/i.exec(name.trim());
  return m ? { username: m[2], accountId: m[1].toLowerCase() } : null;
}

/** A bind name given as "<username>@<account>" (many phones cannot send a DN). */
export function parseAtName(name: string): { username: string; accountId: string } | null {
  const m = /^([^@,=\s]+)@([a-z0-9-]+)$/i.exec(name.trim());
  return m ? { username: m[1], accountId: m[2].toLowerCase() } : null;
}
