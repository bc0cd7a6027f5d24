// Benchmarks compare against real Debian programs; install them when missing (this workplace runs
// as root with Debian's package registry).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Installs `packages` unless every command (or absolute path) in `needs` is already there. */
export function ensureDebianTools(needs: string[], packages: string[]): void {
  const missing = needs.filter((n) => {
    if (n.startsWith('/')) return !existsSync(n);
    try {
      execFileSync('sh', ['-c', `command -v ${n}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  console.log(`installing ${packages.join(' ')} (missing: ${missing.join(', ')})`);
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages.join(' ')}`], { stdio: 'inherit' });
}
