// The helper every test that drives a Debian program goes through: skip with one line naming
// the package on a developer machine, fail under CI=true.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findProgram, requireProgram } from '../helpers/programs.ts';

const saved = process.env.CI;
afterEach(() => {
  if (saved === undefined) delete process.env.CI;
  else process.env.CI = saved;
  vi.restoreAllMocks();
});

describe('requireProgram', () => {
  it('finds programs on PATH', () => {
    expect(findProgram('node') ?? findProgram('sh')).toMatch(/\/(node|sh)$/);
    expect(requireProgram('sh', 'dash')).toBe(true);
  });

  it('skips a missing program with one line naming the Debian package, once', () => {
    delete process.env.CI;
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
    expect(requireProgram('dialbook-no-such-program', 'dialbook-pkg')).toBe(false);
    expect(requireProgram('dialbook-no-such-program', 'dialbook-pkg')).toBe(false);
    expect(lines).toEqual(['SKIP dialbook-no-such-program not found: install the Debian package dialbook-pkg (apt-get install dialbook-pkg) to run these tests\n']);
  });

  it('fails instead when CI=true', () => {
    process.env.CI = 'true';
    expect(() => requireProgram('dialbook-no-such-program-2', 'dialbook-pkg')).toThrow(/install the Debian package dialbook-pkg.*CI=true/);
  });
});
