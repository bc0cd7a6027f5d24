// CardDAV card names: the href name and UID a client chose when it created a contact over
// CardDAV. Written in the same transaction as the contact; kept after the contact is deleted, so
// a later sync can name the deleted card (few rows: only cards apps created).
import type { Actor } from '../../domain/audit.ts';
import type { Contact } from '../../domain/contact-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import type { CardName, StoredCardName, WriteScope } from '../store.ts';
import type { Db, StatementCache } from './database.ts';
import type { SqliteContactWriter } from './sqlite-contact-writer.ts';

export class SqliteCardStore {
  constructor(private readonly db: Db, private readonly stmts: StatementCache, private readonly writer: SqliteContactWriter) {}

  names(accountId: string, contactIds: string[]): Map<string, StoredCardName> {
    const out = new Map<string, StoredCardName>();
    if (contactIds.length === 0) return out;
    // CROSS JOIN: the ids are the outer loop, each a primary-key probe. Without table statistics
    // SQLite put the account's index outside instead and read every card name of the account once
    // per id: a multiget of 10,000 app-named cards took 45 s, all on the event loop.
    const rows = this.stmts.get(`SELECT k.contact_id, k.owner_id, k.name, k.uid FROM json_each(?) j
      CROSS JOIN carddav_cards k ON k.contact_id = j.value WHERE k.account_id = ?`)
      .all(JSON.stringify(contactIds), accountId) as { contact_id: string; owner_id: string | null; name: string; uid: string }[];
    for (const r of rows) out.set(r.contact_id, { name: r.name, uid: r.uid, ownerId: r.owner_id });
    return out;
  }

  find(accountId: string, by: { name: string } | { uid: string }): string[] {
    const rows = 'name' in by
      ? this.stmts.get('SELECT contact_id FROM carddav_cards WHERE account_id = ? AND name = ?').all(accountId, by.name)
      : this.stmts.get('SELECT contact_id FROM carddav_cards WHERE account_id = ? AND uid = ?').all(accountId, by.uid);
    return (rows as { contact_id: string }[]).map((r) => r.contact_id);
  }

  createWithCard(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor, card: CardName): Contact {
    return this.db.transaction(() => {
      const c = this.writer.create(accountId, scope, contact, actor);
      this.stmts.get('INSERT INTO carddav_cards (contact_id, account_id, owner_id, name, uid) VALUES (?,?,?,?,?)')
        .run(c.id, accountId, scope.source === 'personal' ? scope.userId : null, card.name, card.uid);
      return c;
    })();
  }
}
