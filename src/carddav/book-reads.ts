// Where CardDAV reads many contacts at once: book listings (PROPFIND Depth 1, addressbook-query,
// a first sync), multiget, and the cards a sync reports. Behind this one interface so that the
// source is chosen in one line (carddav-router.ts): the in-memory read model phones already use
// (src/directory), or the store. Single cards (GET, PUT, DELETE, UID checks) always read the store.
import type { AccountVersion } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import type { Directory } from '../directory/directory.ts';
import type { AsyncStore } from '../store/async-store.ts';
import type { ContactQuery } from '../store/store.ts';

export interface BookReads {
  /**
   * `seen`: the account version the answer will be labelled with (a sync token, a ctag). The
   * contacts must be at least that new, or an app holding the token never sees what it missed.
   */
  query(accountId: string, q: ContactQuery, seen: AccountVersion): Promise<Contact[]>;
  /** Contacts by id, any visibility, in the order of ids (unknown ids left out); `seen` as for query. */
  byIds(accountId: string, ids: string[], seen: AccountVersion): Promise<Contact[]>;
}

/** From the store: always current, so `seen` needs no check. */
export function storeBookReads(db: AsyncStore): BookReads {
  return {
    query: async (accountId, q) => (await db.queryContacts(accountId, q)).contacts,
    byIds: (accountId, ids) => db.getContactsByIds(accountId, ids),
  };
}

/**
 * From the read model: a 10,000-card book is walked in memory instead of read by SQL. `seen`
 * makes a model older than the version read first catch up (or hand over to the store) before it
 * answers. Awaited whether the directory answers at once or with a Promise.
 */
export function directoryBookReads(directory: Directory): BookReads {
  return {
    query: async (accountId, q, seen) => (await directory.queryContacts(accountId, q, seen)).contacts,
    byIds: async (accountId, ids, seen) => directory.getContactsByIds(accountId, ids, seen),
  };
}
