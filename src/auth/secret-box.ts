// Encrypts secrets that must be shown again later (phone credentials appear in provisioning
// lines), so the database never holds them in plain text. The key is a 32-byte base64 file:
// <dataDir>/secret.key unless config.secretKeyFile names another (e.g. a container secret).
// A database and its key belong together: backups carry both (src/cli/backup-commands.ts).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Where the key of this configuration lives. */
  static keyFile(config: { dataDir: string; secretKeyFile: string | null }): string {
    return config.secretKeyFile ?? join(config.dataDir, 'secret.key');
  }

  /**
   * Reads the key file. When it is missing: creates a new key if `create` (a database that holds
   * no sealed secret yet), else throws, because a new key could never open what is stored.
   */
  static fromFile(file: string, opts: { create: boolean }): SecretBox {
    if (!existsSync(file)) {
      if (!opts.create) {
        throw new Error(`The secrets key ${file} is missing, but the database holds secrets sealed with a key. Restore the key backed up with this database (\`dialbook restore\`), or point secretKeyFile at it`);
      }
      writeFileSync(file, SecretBox.newKeyText(), { mode: 0o600, flag: 'wx' });
    }
    return SecretBox.fromText(readFileSync(file, 'utf8'), file);
  }

  /** The data dir's own key file, created when missing (benchmarks and tools on a fresh dir). */
  static forDataDir(dataDir: string): SecretBox {
    return SecretBox.fromFile(join(dataDir, 'secret.key'), { create: true });
  }

  static fromText(text: string, source: string): SecretBox {
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== 32) throw new Error(`${source} does not hold a 32-byte base64 key`);
    return new SecretBox(key);
  }

  static newKeyText(): string {
    return randomBytes(32).toString('base64') + '\n';
  }

  /** A key for another purpose (HKDF from this one), so every process with the same key file
   *  derives the same one: the sign-in limiter's marks of wrong secrets, for example. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `dialbook ${purpose}`, 32));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, body] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
