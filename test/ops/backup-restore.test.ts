// Backups restore completely: a backup of a running server, restored into an empty data dir,
// still serves phonebooks and LDAP binds; a database without its key refuses to start, naming why.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ldap from 'ldapjs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/auth/secret-box.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { startServer } from '../../src/server.ts';
import { runCli } from '../helpers/cli.ts';
import { seedAccount, startTestServer, type TestServer } from '../helpers/test-server.ts';

const PHONES: [string, string] = ['phones', 'phone-secret-1'];
const work = mkdtempSync(join(tmpdir(), 'dialbook-backup-'));
let source: TestServer;
const backupDir = join(work, 'backup');

beforeAll(async () => {
  source = await startTestServer();
  await seedAccount(source.ctx, {
    id: 'acme', phoneCredentials: { username: PHONES[0], password: PHONES[1] },
    contacts: [{ firstName: 'Ana', lastName: 'Pérez', workNumber: '+1 469 429 2500' }],
  });
  // The server keeps running while the backup is taken.
  await runCli(['backup', backupDir], { DIALBOOK_DATA_DIR: source.dataDir });
}, 180_000);
afterAll(async () => {
  await source?.close();
  rmSync(work, { recursive: true, force: true });
});

function ldapBind(port: number, dn: string, password: string): Promise<number> {
  const client = ldap.createClient({ url: `ldap://127.0.0.1:${port}` });
  client.on('error', () => {});
  return new Promise<number>((res) => client.bind(dn, password, (e) => {
    client.destroy();
    res((e as unknown as { code?: number } | null)?.code ?? 0);
  }));
}

const start = (dataDir: string) => startServer(loadConfig({
  env: {},
  overrides: { dataDir, log: { level: 'silent' }, http: { host: '127.0.0.1', port: 0 }, ldap: { host: '127.0.0.1', port: 0 } },
}));

describe('backup and restore', () => {
  it('writes the database, the key and a manifest, readable by the owner only', () => {
    for (const f of ['dialbook.db', 'secret.key', 'manifest.json']) expect(statSync(join(backupDir, f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(backupDir, 'secret.key'))).toEqual(readFileSync(join(source.dataDir, 'secret.key')));
    expect(JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'))).toMatchObject({ format: 'dialbook-backup', version: 1 });
  });

  it('restores into an empty data dir: phones get their phonebook and LDAP binds work', async () => {
    const dataDir = join(work, 'restored');
    await runCli(['restore', backupDir], { DIALBOOK_DATA_DIR: dataDir });
    const restored = await startTestServer({ dataDir });
    try {
      const book = await request(restored.httpUrl).get('/phonebook/acme/yealink.xml').auth(...PHONES);
      expect(book.status).toBe(200);
      expect(book.text).toContain('Pérez');
      expect(await ldapBind(restored.ldapPort!, 'phones@acme', PHONES[1])).toBe(0);
      expect(await ldapBind(restored.ldapPort!, 'phones@acme', 'wrong-password')).toBe(49);
    } finally {
      await restored.close();
    }
  }, 180_000);

  it('refuses to restore over an existing database without --force, and a damaged backup', async () => {
    const dataDir = join(work, 'occupied');
    await runCli(['restore', backupDir], { DIALBOOK_DATA_DIR: dataDir });
    await expect(runCli(['restore', backupDir], { DIALBOOK_DATA_DIR: dataDir })).rejects.toThrow(/exists; stop the server and pass --force/);
    await runCli(['restore', backupDir, '--force'], { DIALBOOK_DATA_DIR: dataDir });

    const damaged = join(work, 'damaged');
    cpSync(backupDir, damaged, { recursive: true });
    writeFileSync(join(damaged, 'secret.key'), SecretBox.newKeyText());
    const empty = join(work, 'never');
    await expect(runCli(['restore', damaged], { DIALBOOK_DATA_DIR: empty })).rejects.toThrow(/secret\.key does not match its checksum/);
    expect(existsSync(join(empty, 'dialbook.db'))).toBe(false);
  }, 180_000);

  it('refuses to start when the key is missing or does not open the stored secrets, naming the cause', async () => {
    const noKey = join(work, 'no-key');
    cpSync(join(backupDir, 'dialbook.db'), join(noKey, 'dialbook.db'));
    await expect(start(noKey)).rejects.toThrow(/secrets key .*secret\.key is missing, but the database holds secrets sealed/);
    // No new key was made behind the operator's back.
    expect(existsSync(join(noKey, 'secret.key'))).toBe(false);

    writeFileSync(join(noKey, 'secret.key'), SecretBox.newKeyText());
    await expect(start(noKey)).rejects.toThrow(/cannot open the phone credentials of account "acme" .*do not belong together/);
    // The command line says the same and exits non-zero.
    await expect(runCli(['serve', '--http-port', '0', '--ldap-port', '0'], { DIALBOOK_DATA_DIR: noKey })).rejects.toThrow(/dialbook: The secrets key .* cannot open/);
  }, 180_000);
});
