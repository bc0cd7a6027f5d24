// Drives the real LDAP server the way phones do: OpenLDAP's ldapsearch over TCP.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { requireProgram } from '../helpers/programs.ts';

const run = promisify(execFile);

/** ldapsearch/ldapdelete present (Debian ldap-utils)? Tests that drive them: describe.skipIf(!hasLdapUtils). */
export const hasLdapUtils = requireProgram('ldapsearch', 'ldap-utils');

export interface LdifEntry {
  dn: string;
  attrs: Record<string, string[]>;
}

export interface SearchResult {
  code: number;
  entries: LdifEntry[];
  stderr: string;
  stdout: string;
}

/** ldapsearch -x -LLL; returns entries parsed from LDIF and the exit code (the LDAP result code). */
export async function ldapsearch(port: number, args: string[]): Promise<SearchResult> {
  try {
    const { stdout, stderr } = await run('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', `ldap://127.0.0.1:${port}`, ...args], { timeout: 15_000 });
    return { code: 0, entries: parseLdif(stdout), stderr, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, entries: parseLdif(e.stdout ?? ''), stderr: e.stderr ?? '', stdout: e.stdout ?? '' };
  }
}

export function parseLdif(text: string): LdifEntry[] {
  const entries: LdifEntry[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith('#'));
    if (lines.length === 0) continue;
    let dn = '';
    const attrs: Record<string, string[]> = {};
    for (const line of lines) {
      const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!m) continue;
      const value = m[2] === '::' ? Buffer.from(m[3], 'base64').toString('utf8') : m[3];
      if (m[1] === 'dn') dn = value;
      else (attrs[m[1]] ??= []).push(value);
    }
    entries.push({ dn, attrs });
  }
  return entries;
}

/**
 * ldapsearch with a VLV control is interactive ("Press Enter for the next window"): read the
 * first window, then stop it.
 */
export function ldapsearchFirstWindow(port: number, args: string[]): Promise<SearchResult> {
  return new Promise((resolve) => {
    // stdbuf: ldapsearch block-buffers a pipe, and the prompt would never arrive
    const child = spawn('stdbuf', ['-o0', 'ldapsearch', '-x', '-LLL', '-o', 'ldif-wrap=no', '-H', `ldap://127.0.0.1:${port}`, ...args]);
    let stdout = '';
    let stderr = '';
    const finish = (code: number) => {
      child.kill();
      resolve({ code, entries: parseLdif(stdout.split('Press [')[0].replace(/^#.*$/gm, '')), stderr, stdout });
    };
    child.stdout.on('data', (d) => {
      stdout += String(d);
      if (stdout.includes('Press [')) finish(0);
    });
    child.stderr.on('data', (d) => { stderr += String(d); });
    child.on('exit', (code) => finish(code ?? -1));
  });
}
