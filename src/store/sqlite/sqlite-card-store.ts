// CardDAV card names: the href name and UID a client chose when it created a contact over
// CardDAV. Written in the same transaction as the contact; kept after the contact is deleted, so
// a later sync can name the deleted card (few rows: only cards apps created).
import type { Actor } from '../../domain/audit.ts';
import type { Contact } from '../../domain/contact-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import { withGroups } from '../../domain/prepare-contact.ts';
import { CardTakenError, idOfCardName, idOfUid, takenBy } from '../card-taken.ts';
import { groupCardKeys, membershipAfter } from '../group-card.ts';
import type { CardName, GroupCardWrite, StoredCardName, WriteScope } from '../store.ts';
import type { Db, StatementCache } from './database.ts';
import type { SqliteContactReader } from './sqlite-contact-reader.ts';
import type { SqliteContactWriter } from './sqlite-contact-writer.ts';

export class SqliteCardStore {
  constructor(private readonly db: Db, private readonly stmts: StatementCache, private readonly writer: SqliteContactWriter, private readonly reader: SqliteContactReader) {}

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

  /** The vCards apps sent for these contacts (those that have one). */
  vcards(accountId: string, contactIds: string[]): Map<string, string> {
    const out = new Map<string, string>();
    if (contactIds.length === 0) return out;
    const rows = this.stmts.get(`SELECT v.contact_id, v.vcard FROM json_each(?) j
      CROSS JOIN contact_vcards v ON v.contact_id = j.value WHERE v.account_id = ?`)
      .all(JSON.stringify(contactIds), accountId) as { contact_id: string; vcard: string }[];
    for (const r of rows) out.set(r.contact_id, r.vcard);
    return out;
  }

  /** name (or UID) -> contact ids for many names, in one statement (json_each, as the id lists do). */
  findMany(accountId: string, by: 'name' | 'uid', values: string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (values.length === 0) return out;
    const rows = this.stmts.get(`SELECT c.${by} AS key, c.contact_id FROM json_each(?) AS j CROSS JOIN carddav_cards c ON c.account_id = ? AND c.${by} = j.value`)
      .all(JSON.stringify(values), accountId) as { key: string; contact_id: string }[];
    for (const r of rows) {
      const ids = out.get(r.key);
      if (ids) ids.push(r.contact_id); else out.set(r.key, [r.contact_id]);
    }
    return out;
  }

  find(accountId: string, by: { name: string } | { uid: string }): string[] {
    const rows = 'name' in by
      ? this.stmts.get('SELECT contact_id FROM carddav_cards WHERE account_id = ? AND name = ?').all(accountId, by.name)
      : this.stmts.get('SELECT contact_id FROM carddav_cards WHERE account_id = ? AND uid = ?').all(accountId, by.uid);
    return (rows as { contact_id: string }[]).map((r) => r.contact_id);
  }

  /**
   * createContact plus the card's name, refused (CardTakenError, nothing written) when a card of
   * the book already has the name or the UID (card-taken.ts). IMMEDIATE: the check runs under
   * the database's write lock, so no other connection (another process on the file) can create
   * the same card between the check and the insert.
   */
  createWithCard(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor, card: CardName): Contact {
    return this.db.transaction(() => {
      this.refuseTaken(accountId, scope, card);
      const c = this.writer.create(accountId, scope, contact, actor);
      this.stmts.get('INSERT INTO carddav_cards (contact_id, account_id, owner_id, name, uid) VALUES (?,?,?,?,?)')
        .run(c.id, accountId, scope.source === 'personal' ? scope.userId : null, card.name, card.uid);
      return c;
    }).immediate();
  }

  /** GroupCardWrite in one IMMEDIATE transaction: the card, then each member that gains or loses the group. */
  writeGroup(accountId: string, scope: WriteScope, w: GroupCardWrite, actor: Actor): Contact | null {
    return this.db.transaction(() => {
      let card: Contact | null = null;
      if ('create' in w.target) card = this.createWithCard(accountId, scope, w.card!, actor, w.target.create);
      else if ('update' in w.target) card = this.writer.update(accountId, scope, w.target.update, w.card!, actor, w.target.expectedRevision);
      else this.writer.delete(accountId, scope, w.target.delete, actor, w.target.expectedRevision);
      const keys = groupCardKeys(w);
      const holding = keys.length === 0 ? [] : this.stmts.get(`SELECT DISTINCT cg.contact_id FROM contact_groups cg JOIN groups g ON g.id = cg.group_id
        WHERE g.account_id = ? AND g.name_key IN (SELECT value FROM json_each(?))`).pluck().all(accountId, JSON.stringify(keys)) as string[];
      const cardId = card?.id ?? ('delete' in w.target ? w.target.delete : null);
      for (const id of new Set([...w.members, ...holding])) {
        if (id === cardId) continue;
        let c: Contact;
        try { c = this.reader.getForWrite(accountId, scope, id); } catch { continue; } // not in this book
        const groups = membershipAfter(c.groups, w, w.members.includes(id));
        if (groups) this.writer.update(accountId, scope, id, withGroups(c, groups), actor);
      }
      return card;
    }).immediate();
  }

  private refuseTaken(accountId: string, scope: WriteScope, card: CardName): void {
    const name = this.visibleCard(accountId, scope, 'name', card.name, idOfCardName(card.name));
    if (name) throw new CardTakenError('name', takenBy(name), card.name);
    const uid = this.visibleCard(accountId, scope, 'uid', card.uid, idOfUid(card.uid));
    if (uid) throw new CardTakenError('uid', takenBy(uid), card.uid);
  }

  /** A contact of the book whose card has this name (or UID), or whose id it is. */
  private visibleCard(accountId: string, scope: WriteScope, by: 'name' | 'uid', value: string, id: string | undefined): { id: string; name: string | null } | undefined {
    const o = scope.source === 'personal' ? { source: 'personal', userId: scope.userId } : { source: 'shared', userId: null };
    return this.stmts.get(`SELECT c.id, k.name FROM contacts c LEFT JOIN carddav_cards k ON k.contact_id = c.id
      WHERE c.id IN (SELECT contact_id FROM carddav_cards WHERE account_id = ? AND ${by} = ? UNION ALL SELECT ?)
        AND c.account_id = ? AND c.source = ? AND c.user_id IS ? ORDER BY c.id LIMIT 1`)
      .get(accountId, value, id ?? null, accountId, o.source, o.userId) as { id: string; name: string | null } | undefined;
  }
}
