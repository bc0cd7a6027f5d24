// CardDAV card names on PostgreSQL: the href name and UID a client chose when it created a contact
// over CardDAV, written in the same transaction as the contact (createContactWithCard) and kept
// after the contact is deleted, so a later sync can name the deleted card. The same rows and
// meaning as sqlite/sqlite-card-store.ts.
import { bookOfScope } from '../feed-books.ts';
import type pg from 'pg';
import type { Actor } from '../../domain/audit.ts';
import type { Contact } from '../../domain/contact-schemas.ts';
import type { PreparedContact } from '../../domain/prepare-contact.ts';
import { contactFields } from '../../domain/contact-schemas.ts';
import { withGroups } from '../../domain/prepare-contact.ts';
import { PreconditionFailedError } from '../../errors.ts';
import { CardTakenError, idOfCardName, idOfUid, takenBy } from '../card-taken.ts';
import { groupCardKeys, membershipAfter } from '../group-card.ts';
import type { CardName, GroupCardWrite, StoredCardName, WriteScope } from '../store.ts';
import type { PgWrites } from './pg-writes.ts';

export class PgCardStore {
  constructor(private readonly store: PgWrites, private readonly pool: pg.Pool) {}

  async names(accountId: string, contactIds: string[]): Promise<Map<string, StoredCardName>> {
    const out = new Map<string, StoredCardName>();
    if (contactIds.length === 0) return out;
    const { rows } = await this.pool.query<{ contact_id: string; owner_id: string | null; name: string; uid: string }>(
      'SELECT contact_id, owner_id, name, uid FROM carddav_cards WHERE account_id = $1 AND contact_id = ANY($2)', [accountId, contactIds]);
    for (const r of rows) out.set(r.contact_id, { name: r.name, uid: r.uid, ownerId: r.owner_id });
    return out;
  }

  /** The vCards apps sent for these contacts (those that have one). */
  async vcards(accountId: string, contactIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (contactIds.length === 0) return out;
    const { rows } = await this.pool.query<{ contact_id: string; vcard: string }>(
      'SELECT contact_id, vcard FROM contact_vcards WHERE account_id = $1 AND contact_id = ANY($2)', [accountId, contactIds]);
    for (const r of rows) out.set(r.contact_id, r.vcard);
    return out;
  }

  /** name (or UID) -> contact ids for many names, in one query. */
  async findMany(accountId: string, by: 'name' | 'uid', values: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (values.length === 0) return out;
    const { rows } = await this.pool.query<{ key: string; contact_id: string }>(
      `SELECT ${by} AS key, contact_id FROM carddav_cards WHERE account_id = $1 AND ${by} = ANY($2::text[])`, [accountId, values]);
    for (const r of rows) {
      const ids = out.get(r.key);
      if (ids) ids.push(r.contact_id); else out.set(r.key, [r.contact_id]);
    }
    return out;
  }

  async find(accountId: string, by: { name: string } | { uid: string }): Promise<string[]> {
    const { rows } = 'name' in by
      ? await this.pool.query<{ contact_id: string }>('SELECT contact_id FROM carddav_cards WHERE account_id = $1 AND name = $2', [accountId, by.name])
      : await this.pool.query<{ contact_id: string }>('SELECT contact_id FROM carddav_cards WHERE account_id = $1 AND uid = $2', [accountId, by.uid]);
    return rows.map((r) => r.contact_id);
  }

  /**
   * createContact plus the card's name, refused (CardTakenError, nothing written) when a card of
   * the book already has the name or the UID (card-taken.ts). The check runs after accountTx took
   * the account's revision row lock, which every write of the account takes first: a concurrent
   * create on any instance waits for this one to commit, and (READ COMMITTED: each statement reads
   * what is committed when it starts) then sees its card.
   */
  createWithCard(accountId: string, scope: WriteScope, contact: PreparedContact, actor: Actor, card: CardName): Promise<Contact> {
    return this.store.accountTx(accountId, async (t) => {
      await this.refuseTaken(t.client, accountId, scope, card);
      const c = await this.store.createOn(t, accountId, scope, contact, actor);
      await t.client.query('INSERT INTO carddav_cards (contact_id, account_id, owner_id, name, uid) VALUES ($1,$2,$3,$4,$5)',
        [c.id, accountId, scope.source === 'personal' ? scope.userId : null, card.name, card.uid]);
      return { result: c, feed: { changed: [c.id], deleted: [], books: [bookOfScope(scope)] } };
    });
  }

  /** GroupCardWrite in one account transaction: the card, then each member that gains or loses the group. */
  writeGroup(accountId: string, scope: WriteScope, w: GroupCardWrite, actor: Actor): Promise<Contact | null> {
    return this.store.accountTx(accountId, async (t) => {
      const { client, at } = t;
      const changed: string[] = [];
      const deleted: string[] = [];
      let card: Contact | null = null;
      if ('create' in w.target) {
        await this.refuseTaken(client, accountId, scope, w.target.create);
        card = await this.store.createOn(t, accountId, scope, w.card!, actor);
        await client.query('INSERT INTO carddav_cards (contact_id, account_id, owner_id, name, uid) VALUES ($1,$2,$3,$4,$5)',
          [card.id, accountId, scope.source === 'personal' ? scope.userId : null, w.target.create.name, w.target.create.uid]);
        changed.push(card.id);
      } else {
        const id = 'update' in w.target ? w.target.update : w.target.delete;
        const before = await this.store.forWrite(client, accountId, scope, id);
        if (before.revision !== w.target.expectedRevision) throw new PreconditionFailedError();
        if ('update' in w.target) {
          await this.store.updateRow(client, accountId, before, w.card!, actor.id, at, new Map());
          await this.store.auditContact(client, accountId, scope, actor, 'contact.update', id, contactFields(before), w.card!.fields, at);
          card = await this.store.forWrite(client, accountId, scope, id);
          changed.push(id);
        } else {
          await this.store.deleteRow(client, accountId, before);
          await this.store.auditContact(client, accountId, scope, actor, 'contact.delete', id, contactFields(before), null, at);
          deleted.push(id);
        }
      }
      const keys = groupCardKeys(w);
      const { rows } = keys.length === 0 ? { rows: [] } : await client.query<{ contact_id: string }>(`SELECT DISTINCT cg.contact_id FROM contact_groups cg
        JOIN groups g ON g.id = cg.group_id WHERE g.account_id = $1 AND g.name_key = ANY($2::text[])`, [accountId, keys]);
      const cardId = changed[0] ?? deleted[0];
      const o = scope.source === 'personal' ? { source: 'personal', userId: scope.userId } : { source: 'shared', userId: null };
      for (const id of new Set([...w.members, ...rows.map((r) => r.contact_id)])) {
        if (id === cardId) continue;
        const c = await this.store.contactOn(client, accountId, id, { shared: o.source === 'shared', users: false, personalOf: o.userId });
        if (!c || c.source !== o.source) continue; // not in this book
        const groups = membershipAfter(c.groups, w, w.members.includes(id));
        if (!groups) continue;
        const next = withGroups(c, groups);
        await this.store.updateRow(client, accountId, c, next, actor.id, at, new Map());
        await this.store.auditContact(client, accountId, scope, actor, 'contact.update', id, contactFields(c), next.fields, at);
        changed.push(id);
      }
      return { result: card, feed: { changed, deleted, books: [bookOfScope(scope)] } };
    });
  }

  private async refuseTaken(c: pg.ClientBase, accountId: string, scope: WriteScope, card: CardName): Promise<void> {
    const name = await this.visibleCard(c, accountId, scope, 'name', card.name, idOfCardName(card.name));
    if (name) throw new CardTakenError('name', takenBy(name), card.name);
    const uid = await this.visibleCard(c, accountId, scope, 'uid', card.uid, idOfUid(card.uid));
    if (uid) throw new CardTakenError('uid', takenBy(uid), card.uid);
  }

  /** A contact of the book whose card has this name (or UID), or whose id it is. */
  private async visibleCard(c: pg.ClientBase, accountId: string, scope: WriteScope, by: 'name' | 'uid', value: string, id: string | undefined): Promise<{ id: string; name: string | null } | undefined> {
    const o = scope.source === 'personal' ? { source: 'personal', userId: scope.userId } : { source: 'shared', userId: null };
    const { rows } = await c.query<{ id: string; name: string | null }>(`SELECT c.id, k.name FROM contacts c LEFT JOIN carddav_cards k ON k.contact_id = c.id
      WHERE c.id IN (SELECT contact_id FROM carddav_cards WHERE account_id = $1 AND ${by} = $2 UNION ALL SELECT $3::text)
        AND c.account_id = $1 AND c.source = $4 AND c.user_id IS NOT DISTINCT FROM $5::text ORDER BY c.id LIMIT 1`,
    [accountId, value, id ?? null, o.source, o.userId]);
    return rows[0];
  }
}
