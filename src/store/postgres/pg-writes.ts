// What the parts of the PostgreSQL store (accounts, users, groups, cards, the import) use of the
// store that holds them: its account transaction and the row writers every write shares. PgStore
// implements it; the parts import this module, not pg-store.ts, so that no two modules import
// each other (test/architecture/import-map.test.ts).
import type pg from 'pg';
import type { Actor, AuditAction } from '../../domain/audit.ts';
import type { Contact } from '../../domain/contact-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import type { FeedBook } from '../feed-books.ts';
import type { Visibility, WriteScope } from '../store.ts';
import type { ListenerOptions } from './pg-listener.ts';

export interface PostgresOptions extends ListenerOptions {
  url: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** How long a connection attempt may take before it fails (default 5,000 ms): an unreachable server fails the start quickly. */
  connectTimeoutMs?: number;
}

/** What a write transaction reports to the change feed; `books`: the address books it touched (feed-books.ts), left out: every book. */
export interface FeedEntry { changed: string[]; deleted: string[]; everything?: boolean; books?: FeedBook[] }

/** The client of one write transaction, with the revision it took. */
export interface AccountTx { client: pg.PoolClient; revision: number; at: string }

export interface PgWrites {
  /** Takes the account's next revision (its row lock) first, runs fn, writes its feed entry, commits, notifies. */
  accountTx<T>(accountId: string, fn: (t: AccountTx) => Promise<{ result: T; feed: FeedEntry | null }>): Promise<T>;
  audit(c: pg.ClientBase, accountId: string, actor: Actor, action: AuditAction, targetId: string | null, before: unknown, after: unknown, at?: string): Promise<void>;
  auditContact(c: pg.ClientBase, accountId: string, scope: WriteScope, actor: Actor, action: AuditAction, targetId: string, before: unknown, after: unknown, at: string): Promise<void>;
  regionOn(c: pg.ClientBase, id: string): Promise<string>;
  contactOn(db: pg.ClientBase | pg.Pool, accountId: string, id: string, visibility: Visibility): Promise<Contact | null>;
  forWrite(db: pg.ClientBase, accountId: string, scope: WriteScope, id: string): Promise<Contact>;
  contactForWrite(db: pg.ClientBase, accountId: string, visibility: Visibility, id: string): Promise<Contact>;
  insertContact(c: pg.ClientBase, accountId: string, id: string, source: string, userId: string | null, contact: PreparedContact, by: string, at: string, groupIds: Map<string, string>): Promise<void>;
  ensureGroup(c: pg.ClientBase, accountId: string, name: string, cache: Map<string, string>): Promise<string>;
  updateRow(c: pg.ClientBase, accountId: string, before: Contact, contact: PreparedContact, by: string, at: string, groupIds: Map<string, string>): Promise<void>;
  deleteRow(c: pg.ClientBase, accountId: string, before: Contact): Promise<void>;
  createOn(t: AccountTx, accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor): Promise<Contact>;
}
