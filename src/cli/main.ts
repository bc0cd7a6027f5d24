// The `dialbook` command line: serve, accounts, users, tokens, import/export, backup and restore.
// Every command but `serve` works on the data dir directly (the server may be running: SQLite
// in WAL mode lets both in).
import { Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerBackupCommands } from './backup-commands.ts';
import { registerConfigCommands } from './config-commands.ts';
import { serve } from './serve-command.ts';
import { registerSpreadsheetCommands } from './spreadsheet-commands.ts';

const program = new Command('dialbook')
  .description('Shared phone-directory server: admin API, XML phonebooks and LDAP for desk phones')
  .option('-c, --config <file>', 'configuration file (JSON) merged over config/default.json');

const config = () => loadConfig({ file: program.opts<{ config?: string }>().config });

program.command('serve')
  .description('start the HTTP and LDAP servers')
  .option('--demo', 'also load the demo account from fixtures/ (once)')
  .option('--http-port <port>', 'HTTP port', Number)
  .option('--ldap-port <port>', 'LDAP port', Number)
  .option('--data-dir <dir>', 'data folder')
  .action(async (opts: { demo?: boolean; httpPort?: number; ldapPort?: number; dataDir?: string }) => {
    const file = program.opts<{ config?: string }>().config;
    await serve(loadConfig({
      file,
      overrides: {
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        ...(opts.httpPort !== undefined ? { http: { port: opts.httpPort } } : {}),
        ...(opts.ldapPort !== undefined ? { ldap: { port: opts.ldapPort } } : {}),
      },
    }), { demo: opts.demo ?? false });
  });

registerAdminCommands(program, config);
registerSpreadsheetCommands(program, config);
registerBackupCommands(program, config);
registerConfigCommands(program, config);

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`dialbook: ${err.message}`);
  process.exit(1);
});
