// Opens the SQLite file with the settings every connection needs, and migrates it.
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export type Db = Database.Database;

export interface OpenOptions {
  /**
   * No automatic checkpoint at commit: the caller runs checkpoint() when nobody waits for it
   * (the import thread, after its reply: copying a 100,000-row import's pages from the WAL into
   * the database file cost 2-3 µs a row of the import's time).
   */
  deferCheckpoints?: boolean;
  /**
   * A reader of a database the server has made already (the export thread): no migration and no
   * statistics refresh, which would write, and could wait for an import's write lock.
   */
  readOnly?: boolean;
}

export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (opts.readOnly) {
    const reader = new Database(file, { readonly: true, fileMustExist: true });
    reader.pragma('busy_timeout = 5000');
    reader.pragma('cache_size = -65536');
    return reader;
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  if (opts.deferCheckpoints) db.pragma('wal_autocheckpoint = 0');
  migrate(db);
  // Query plans depend on table statistics (without them SQLite may scan a 100k-row index to
  // avoid a sort); refresh those that are stale, cheaply.
  db.pragma('analysis_limit = 1000');
  db.pragma('optimize = 0x10002');
  return db;
}

/** After a large write, statistics are stale enough to mislead the planner. */
export function refreshStatistics(db: Db): void {
  db.pragma('analysis_limit = 1000');
  db.exec('ANALYZE');
}

/** Prepared statements cached by their SQL text: dynamic queries repeat a handful of shapes. */
export class StatementCache {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly db: Db) {}
  /**
   * fn in one read transaction (unless one is open already): what it reads in several statements
   * is one state of the database even if another connection commits meanwhile.
   */
  read<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn).deferred();
  }

  get(sql: string): Database.Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

/** What one row of a multi-row INSERT looks like: `(?,?,?)`, or with values every row shares written in. */
export interface RowShape { values: string; params: number }

const placeholders = (params: number): RowShape => ({ values: `(${'?,'.repeat(params - 1)}?)`, params });

/** A value written into SQL text (what every row of a batch shares; see sqlite-batch-inserts.ts). */
export function sqlLiteral(value: string | null): string {
  if (value === null) return 'NULL';
  if (value.includes('\0')) throw new Error('a value with NUL cannot be written into SQL');
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Rows for one table, written many to an INSERT statement: a batch of new contacts writes their
 * numbers, groups and audit entries this way (one statement run per row costs about 2 µs more).
 * Values are passed as arguments, not as one array: better-sqlite3 binds an array element by
 * element through the V8 API, about 15 % slower.
 */
export class RowInserter {
  private readonly args: unknown[] = [];
  private readonly shape: RowShape;
  private readonly full: number;
  constructor(private readonly stmts: StatementCache, private readonly head: string, shape: number | RowShape, private readonly perInsert = 100) {
    this.shape = typeof shape === 'number' ? placeholders(shape) : shape;
    this.full = this.shape.params * perInsert;
  }

  add(...values: unknown[]): void {
    for (const v of values) this.args.push(v);
    if (this.args.length >= this.full) this.write(this.perInsert);
  }

  /** Writes the rows still held. Call before anything reads the table. */
  flush(): void {
    // the rest in chunks of powers of two: a handful of statement shapes per table, not one per size
    const width = this.shape.params;
    let rows = this.args.length / width;
    let done = 0;
    for (let chunk = 64; rows > 0; chunk >>= 1) {
      while (rows >= chunk) {
        this.run(chunk, this.args.slice(done, done + chunk * width));
        done += chunk * width;
        rows -= chunk;
      }
    }
    this.args.length = 0;
  }

  private write(rows: number): void {
    this.run(rows, this.args);
    this.args.length = 0;
  }

  private run(rows: number, args: unknown[]): void {
    const one = this.shape.values;
    this.stmts.get(`${this.head} VALUES ${`${one},`.repeat(rows - 1)}${one}`).run(...args);
  }
}

export const now = (): string => new Date().toISOString();
