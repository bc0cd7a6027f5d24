// Group cards (vCard 4 KIND:group, DAVx5's default group method; Apple's
// X-ADDRESSBOOKSERVER-KIND:group with X-ADDRESSBOOKSERVER-MEMBER, carddav-clients.md): the card
// is kept like any other (apps get it back as they wrote it; it has no number, so phones skip
// it) and the dialbook group named by its FN gets exactly the members it names, in the same
// transaction (AsyncStore.writeGroupCard). A name that cannot be a group name (more than 64
// characters, a ";") leaves the card an ordinary card.
import { groupNameSchema } from '../domain/contact-schemas.ts';
import { idOfUid } from '../store/card-taken.ts';
import { parseVcard, readCard, type CardReading } from '../vcard/card-fields.ts';
import type { DavCall } from './dav-call.ts';
import type { Card } from './dav-resources.ts';

/** The group a card stands for, or null when it is no group card (or its name is no group name). */
export function groupOf(reading: CardReading | null): { name: string; members: string[] } | null {
  if (!reading?.group) return null;
  const name = groupNameSchema.safeParse(reading.group.name);
  return name.success ? { name: name.data, members: reading.group.members } : null;
}

/** The group a stored card stands for (read from the card its app wrote), or null. */
export function groupOfCard(card: Card | null): string | null {
  if (!card?.kept) return null;
  try {
    return groupOf(readCard(parseVcard(card.kept)))?.name ?? null;
  } catch {
    return null;
  }
}

/** The contact ids a group card's member UIDs name: cards apps created under that UID, or contacts whose id it is. */
export async function memberIds(call: DavCall, uids: string[]): Promise<string[]> {
  const ids = new Set<string>();
  const byUid = await call.ctx.db.findContactIdsByCards(call.user.account.id, 'uid', uids);
  for (const uid of uids) {
    for (const id of byUid.get(uid) ?? []) ids.add(id);
    const own = idOfUid(uid);
    if (own) ids.add(own);
  }
  return [...ids];
}
