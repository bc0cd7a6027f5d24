// When a CardDAV name or UID is taken in an address book: the one rule both engines check inside
// createContactWithCard's transaction (so two instances on one database cannot both create a card
// of one name or UID) and CardDAV reads cards by. A book is a write scope: the shared contacts, or
// one user's personal contacts. A card of the book is a contact visible in it, named
//  - by the name and UID its client chose (carddav_cards; a deleted contact's row frees both), or
//  - "<id>.vcf" with its id as UID (every contact, whether or not it has a card name).
import { ConflictError } from '../errors.ts';

const ID_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.vcf$/;
const ID_UID = /^[0-9a-f-]{36}$/;

/** The contact id a card name "<id>.vcf" names, if it has that form. */
export const idOfCardName = (name: string): string | undefined => ID_NAME.exec(name)?.[1];

/** The contact id a UID may be (every contact's card without a chosen UID has its id as UID). */
export const idOfUid = (uid: string): string | undefined => (ID_UID.test(uid) ? uid : undefined);

/** The existing card that holds the name or UID. */
export interface TakenBy {
  contactId: string;
  /** Its resource name in the book ("<id>.vcf" for a contact without a chosen name). */
  name: string;
}

/**
 * createContactWithCard refused: a card of the book already has this name (`taken: 'name'`,
 * checked first) or this UID (`taken: 'uid'`). Nothing was written.
 */
export class CardTakenError extends ConflictError {
  constructor(readonly taken: 'name' | 'uid', readonly existing: TakenBy, value: string) {
    super(taken === 'name'
      ? 'A card of this name already exists in this address book'
      : 'A card with this UID already exists in this address book', [{ field: taken, value, reason: `already used by ${existing.name}` }]);
  }
}

/** A row the engines' check reads: the contact and its chosen name, if any. */
export function takenBy(row: { id: string; name: string | null }): TakenBy {
  return { contactId: row.id, name: row.name ?? `${row.id}.vcf` };
}
