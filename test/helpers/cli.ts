// Runs the `dialbook` command from the sources (tsx), as a separate process, the way an operator
// runs it. test/ops/compiled-start.test.ts covers the compiled bin/dialbook.js.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CLI_MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');
/** node arguments that run the CLI from source: [...CLI_ARGS, 'serve', ...]. */
export const CLI_ARGS = ['--import', 'tsx', CLI_MAIN];

export interface CliResult { stdout: string; stderr: string }

/** Runs the CLI; rejects (with stderr in the message) on a non-zero exit. */
export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return run(process.execPath, [...CLI_ARGS, ...args], { env: { ...process.env, DIALBOOK_LOG_LEVEL: 'silent', ...env }, timeout: 120_000 });
}
