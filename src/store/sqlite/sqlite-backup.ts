// SQLite's part of `dialbook backup` and `dialbook restore` (src/cli/backup-commands.ts): a file
// copy is SQLite's notion, so it lives with the engine, not in the store contract.
import { openDatabase } from './database.ts';

/**
 * An online copy of the database file (SQLite's backup API: consistent, safe while the server
 * writes). Opening migrates first, as the server would, so the copy has this version's schema.
 */
export async function backupSqliteFile(file: string, toFile: string): Promise<void> {
  const db = openDatabase(file);
  try {
    await db.backup(toFile);
  } finally {
    db.close();
  }
}
