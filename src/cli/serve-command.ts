// `dialbook serve`: start both front ends, print the first-start admin token once, stop cleanly.
import type { Config } from '../config/config-schema.ts';
import { loadDemo } from '../bootstrap.ts';
import { startServer } from '../server.ts';

export async function serve(config: Config, opts: { demo: boolean }): Promise<void> {
  const server = await startServer(config);
  if (server.createdAdminToken) {
    // Shown once, on the terminal only (never in the JSON logs); also in <dataDir>/admin-token.
    process.stderr.write(
      `\nPlatform-admin API token (shown once, also saved to ${config.dataDir}/admin-token):\n  ${server.createdAdminToken}\n\n`,
    );
  }
  if (opts.demo) {
    const id = await server.readiness.startupTask('loading the demo account', loadDemo(server.ctx));
    process.stderr.write(id
      ? `Demo account "${id}" loaded: sign in as olivia / demo-password-1 (manager) or bob / demo-password-2 (basic).\n`
      : 'Demo account already present.\n');
  }
  process.stderr.write(`dialbook listening: HTTP http://localhost:${server.httpPort}/  LDAP port ${server.ldapPort ?? 'off'}`
    + `${server.httpsPort !== null ? `  HTTPS port ${server.httpsPort}` : ''}${server.metricsPort !== null ? `  metrics port ${server.metricsPort}` : ''}\n`);
  let signalled = false;
  const onSignal = (sig: string) => {
    if (signalled) return;
    signalled = true;
    server.ctx.logger.info({ signal: sig }, 'signal received');
    server.stop().then(() => process.exit(0), (err) => {
      server.ctx.logger.error({ err }, 'unclean stop');
      process.exit(1);
    });
  };
  // SIGHUP: re-read the HTTPS certificate and key (after a renewal); a bad file keeps the old ones.
  process.on('SIGHUP', () => {
    try {
      server.reloadTls();
    } catch (err) {
      server.ctx.logger.error({ err }, 'HTTPS certificate reload failed; still serving the previous one');
    }
  });
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
