// `dialbook config check` (validate the configuration an operator wrote, before a restart) and
// `dialbook config env` (every environment variable, generated from the schema; `--update
// README.md` rewrites the README's table, which a test keeps in step with the schema).
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/config-schema.ts';
import { configSchema } from '../config/config-schema.ts';
import { envTable, withEnvTable } from '../config/env-options.ts';
import { DEFAULT_CONFIG_FILE } from '../config/load-config.ts';

export function defaultsTable(): string {
  return envTable(configSchema, JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')));
}

export function registerConfigCommands(program: Command, config: () => Config): void {
  const cmd = program.command('config').description('check the configuration, list its environment variables');
  cmd.command('check')
    .description('load and validate the configuration (file, environment) and print where data lives')
    .action(() => {
      const c = config();
      process.stdout.write(`configuration OK: data dir ${c.dataDir}, HTTP ${c.http.host}:${c.http.port}, LDAP ${c.ldap.enabled ? `${c.ldap.host}:${c.ldap.port}` : 'off'}\n`);
    });
  cmd.command('env')
    .description('print every option\'s environment variable (a Markdown table)')
    .option('--update <file>', 'rewrite the generated table in this Markdown file (between its config-env markers)')
    .action((o: { update?: string }) => {
      const table = defaultsTable();
      if (!o.update) return void process.stdout.write(table);
      writeFileSync(o.update, withEnvTable(readFileSync(o.update, 'utf8'), table));
      process.stderr.write(`updated the environment variable table in ${o.update}\n`);
    });
}
