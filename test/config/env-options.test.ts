// Environment variables come from the config schema: one per option, named DIALBOOK_<PATH>,
// parsed to the option's type; the README's table is the generator's output.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config-schema.ts';
import { configFromEnv, envOptions, README_END, README_START } from '../../src/config/env-options.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/load-config.ts';
import { defaultsTable } from '../../src/cli/config-commands.ts';

const leaves = (o: unknown, path: string[] = []): string[] =>
  o && typeof o === 'object' && !Array.isArray(o) ? Object.entries(o).flatMap(([k, v]) => leaves(v, [...path, k])) : [path.join('.')];

describe('environment variables from the schema', () => {
  it('overrides a nested option: DIALBOOK_LDAP_MAX_CONNECTIONS', () => {
    expect(loadConfig({ env: { DIALBOOK_LDAP_MAX_CONNECTIONS: '42' } }).ldap.maxConnections).toBe(42);
  });

  it('has a variable for every option in config/default.json', () => {
    const defaults = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    expect(envOptions(configSchema).map((o) => o.path.join('.')).sort()).toEqual(leaves(defaults).sort());
    expect(envOptions(configSchema).find((o) => o.path.join('.') === 'portal.sessionTtlMinutes')?.env).toBe('DIALBOOK_PORTAL_SESSION_TTL_MINUTES');
  });

  it('reads each value as the option\'s type and names the variable when it does not fit', () => {
    const c = loadConfig({ env: {
      DIALBOOK_LDAP_ENABLED: 'false', DIALBOOK_HTTP_TRUST_PROXY: 'loopback', DIALBOOK_LDAP_LDAPS_PORT: '6360',
      DIALBOOK_PUBLIC_URL: 'https://dir.example.com', DIALBOOK_LOG_LEVEL: 'warn', DIALBOOK_ADMIN_TOKEN: '1234567890123456789',
    } });
    expect([c.ldap.enabled, c.http.trustProxy, c.ldap.ldapsPort, c.publicUrl, c.log.level, c.adminToken])
      .toEqual([false, 'loopback', 6360, 'https://dir.example.com', 'warn', '1234567890123456789']);
    expect(loadConfig({ env: { DIALBOOK_HTTP_TRUST_PROXY: 'true', DIALBOOK_LDAP_LDAPS_PORT: 'null' } })).toMatchObject({ http: { trustProxy: true }, ldap: { ldapsPort: null } });
    expect(() => loadConfig({ env: { DIALBOOK_LOG_LEVEL: 'loud' } })).toThrow(/DIALBOOK_LOG_LEVEL \(log\.level/);
    expect(() => loadConfig({ env: { DIALBOOK_LDAP_MAX_CONNECTIONS: '-1' } })).toThrow(/DIALBOOK_LDAP_MAX_CONNECTIONS/);
  });

  it('covers options added later, nested objects and arrays included', () => {
    const schema = z.object({
      vendors: z.object({ allowList: z.array(z.string()).describe('allowed'), retry: z.object({ maxTries: z.number().int() }) }),
    });
    expect(envOptions(schema).map((o) => o.env)).toEqual(['DIALBOOK_VENDORS_ALLOW_LIST', 'DIALBOOK_VENDORS_RETRY_MAX_TRIES']);
    expect(configFromEnv(schema, { DIALBOOK_VENDORS_ALLOW_LIST: '["yealink","snom"]', DIALBOOK_VENDORS_RETRY_MAX_TRIES: '3' }))
      .toEqual({ vendors: { allowList: ['yealink', 'snom'], retry: { maxTries: 3 } } });
  });

  it('README lists exactly the generated table (run `npm run docs:config` after changing the schema)', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const start = readme.indexOf(README_START);
    const end = readme.indexOf(README_END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + README_START.length + 1, end)).toBe(defaultsTable());
  });
});
