// Configuration: strict schema, environment overrides, errors that name the option.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.http.port).toBe(8080);
    expect(c.ldap.port).toBe(3890);
    expect(c.ldap.suffix).toBe('dc=dialbook');
  });

  it('lets environment variables override', () => {
    const c = loadConfig({ env: { DIALBOOK_HTTP_PORT: '9000', DIALBOOK_LDAP_PORT: '1389', DIALBOOK_DATA_DIR: '/tmp/x', DIALBOOK_ADMIN_TOKEN: 'a-very-long-admin-token' } });
    expect([c.http.port, c.ldap.port, c.dataDir, c.adminToken]).toEqual([9000, 1389, '/tmp/x', 'a-very-long-admin-token']);
    expect(() => loadConfig({ env: { DIALBOOK_HTTP_PORT: 'eighty' } })).toThrow(/DIALBOOK_HTTP_PORT/);
  });

  it('rejects unknown keys naming the file and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialbook-config-'));
    const file = join(dir, 'site.json');
    writeFileSync(file, JSON.stringify({ http: { prot: 80 } }));
    expect(() => loadConfig({ file, env: {} })).toThrow(new RegExp(`${file}.*unknown option http\\.prot`));
    writeFileSync(file, JSON.stringify({ ldap: { port: 'x' } }));
    expect(() => loadConfig({ file, env: {} })).toThrow(/ldap\.port/);
  });
});
