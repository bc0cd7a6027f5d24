// Cards as resources: their names (href segment), UIDs, ETags and bodies, and finding a card by
// its name. A contact created over CardDAV keeps the name and UID its client chose (store's card
// names); every other contact is "<id>.vcf" with its id as UID. Whether a name or UID is free
// is checked by the store, in the transaction that creates the card (createContactWithCard).
import type { AccountVersion } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import type { AsyncStore } from '../store/async-store.ts';
import { idOfCardName } from '../store/card-taken.ts';
import type { CardName, Criterion } from '../store/store.ts';
import { inBook, type AddressBook, type DavUser } from './address-books.ts';
import type { BookReads } from './book-reads.ts';
import { contactToCard, type VcardVersion } from '../vcard/card-writer.ts';
import { mergeCard } from '../vcard/card-merge.ts';

/** A contact with what CardDAV needs to show it. */
export interface Card {
  contact: Contact;
  name: string;
  uid: string;
  etag: string;
  /** The card an app wrote for this contact, when bodies were asked for (withKeptCards). */
  kept?: string;
}

/** The contact id a card name "<id>.vcf" names, if it has that form (the store's rule, card-taken.ts). */
export const idOfName = idOfCardName;

export class CardResources {
  /** `reads`: where listings and batches come from (book-reads.ts); single cards come from `db`. */
  constructor(private readonly db: AsyncStore, readonly reads: BookReads) {}

  /**
   * Wraps contacts as cards (one store read for the names of all of them; with `bodies`, one
   * more for the cards apps wrote, see withKeptCards).
   */
  async cards(u: DavUser, contacts: Contact[], bodies = false): Promise<Card[]> {
    const names = await this.db.cardNames(u.account.id, contacts.map((c) => c.id));
    const cards = contacts.map((c) => this.card(u, c, names.get(c.id)));
    return bodies ? this.withKeptCards(u, cards) : cards;
  }

  card(u: DavUser, c: Contact, name?: CardName): Card {
    return {
      contact: c,
      name: name?.name ?? `${c.id}.vcf`,
      uid: name?.uid ?? c.id,
      etag: etagOf(c, u.account.settings.nameFormat),
    };
  }

  /** Every card of a book, or those matching a criterion, sorted by name; at least as new as `seen`. */
  async list(u: DavUser, book: AddressBook, seen: AccountVersion, where?: Criterion, limit = Number.MAX_SAFE_INTEGER, bodies = false): Promise<Card[]> {
    return this.cards(u, await this.reads.query(u.account.id, { visibility: book.visibility, where, sort: 'name', limit }, seen), bodies);
  }

  /** The cards of a book behind names the app chose, at least as new as `seen` (one lookup for all names). */
  async findByNames(u: DavUser, book: AddressBook, names: string[], seen: AccountVersion, bodies = false): Promise<Card[]> {
    const found = await this.db.findContactIdsByCards(u.account.id, 'name', names);
    const ids = [...new Set([...found.values()].flat())];
    return this.cards(u, (await this.reads.byIds(u.account.id, ids, seen)).filter((c) => inBook(book, c)), bodies);
  }

  /** The card a name points at in a book, or null. */
  async find(u: DavUser, book: AddressBook, name: string, bodies = false): Promise<Card | null> {
    const byId = idOfName(name);
    if (byId) {
      const c = await this.db.getContact(u.account.id, byId, book.visibility);
      if (c) return (await this.cards(u, [c], bodies))[0];
    }
    for (const id of await this.db.findContactIdsByCard(u.account.id, { name })) {
      const c = await this.db.getContact(u.account.id, id, book.visibility);
      if (c) return (await this.cards(u, [c], bodies))[0];
    }
    return null;
  }

  /**
   * Loads the cards apps wrote for these (one store read), for body(): a listing that sends
   * bodies calls it first; one that sends ETags only never reads a photo.
   */
  async withKeptCards(u: DavUser, cards: Card[]): Promise<Card[]> {
    const kept = await this.db.storedVcards(u.account.id, cards.map((c) => c.contact.id));
    for (const c of cards) c.kept = kept.get(c.contact.id);
    return cards;
  }

  /**
   * The card's body: the card an app wrote, with what changed since laid over it (in its own
   * vCard version: apps take the version they wrote), or the contact as a card.
   */
  body(u: DavUser, card: Card, version: VcardVersion): string {
    const { settings, region } = u.account;
    if (card.kept !== undefined) {
      try {
        return mergeCard(card.kept, card.contact, { region, nameFormat: settings.nameFormat });
      } catch {
        // a kept card this version cannot read any more: the contact as dialbook has it
      }
    }
    return contactToCard(card.contact, { version, uid: card.uid, nameFormat: settings.nameFormat });
  }
}

/**
 * The revision, plus a short hash of what the card shows that is not part of the contact row:
 * group names (a group rename changes CATEGORIES without a new revision) and the account's
 * name format (FN).
 */
export function etagOf(c: Contact, nameFormat: string): string {
  let h = 0x811c9dc5;
  const s = nameFormat + '\u0001' + c.groups.join('\u0001');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `"${c.revision}-${(h >>> 0).toString(36)}"`;
}
