// Programs from Debian that some tests drive (ldapsearch, openssl, xmllint, vdirsyncer, Chromium).
// On a developer machine without them those tests skip with one line naming the Debian package;
// with CI=true a missing program is a failure, so CI runs everything.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const announced = new Set<string>();

/** The program's path on PATH, or null. */
export function findProgram(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch { /* not here */ }
  }
  return null;
}

/**
 * True when `program` is on PATH. Otherwise: with CI=true throws (the test file fails, naming
 * the package); else prints one line naming the Debian package and returns false, so the caller
 * skips: `describe.skipIf(!requireProgram('ldapsearch', 'ldap-utils'))(...)`.
 */
export function requireProgram(program: string, debianPackage: string): boolean {
  if (findProgram(program)) return true;
  const line = `${program} not found: install the Debian package ${debianPackage} (apt-get install ${debianPackage}) to run these tests`;
  if (process.env.CI === 'true') throw new Error(`${line}. CI=true: missing programs fail instead of skipping.`);
  if (!announced.has(program)) {
    announced.add(program);
    process.stderr.write(`SKIP ${line}\n`);
  }
  return false;
}

export interface ChromiumLaunch {
  executablePath: string;
  args: string[];
  source: 'debian' | 'npm';
}

const COMMON_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Chromium for playwright-core: Debian's when installed (or CHROMIUM_PATH), else the build shipped
 * by the @sparticuz/chromium npm package (unpacked to /tmp on first use). DIALBOOK_TEST_CHROMIUM=npm
 * forces the npm build, to check that path on a machine that has Debian's.
 */
export async function chromiumLaunch(): Promise<ChromiumLaunch> {
  const forced = process.env.DIALBOOK_TEST_CHROMIUM === 'npm';
  const debian = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? findProgram('chromium');
  if (debian && !forced) return { executablePath: debian, args: COMMON_ARGS, source: 'debian' };
  const { default: chromium } = await import('@sparticuz/chromium');
  // Its serverless flags, minus those that would change what the page is allowed to do (the
  // tests check the portal as a browser enforces it) and its own headless flag (playwright sets it).
  const dropped = /^--(headless|disable-web-security|allow-running-insecure-content|single-process)/;
  const args = chromium.args.filter((a) => !dropped.test(a));
  return { executablePath: await chromium.executablePath(), args: [...args, ...COMMON_ARGS], source: 'npm' };
}
