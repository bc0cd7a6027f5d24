// The one rule of a group card's membership (GroupCardWrite), which both engines apply inside the
// write's transaction: a contact is in the card's group exactly when the card names it. A rename
// moves the members from the old name to the new; a delete lets them all go. Names compare by
// their folded key, as groups do everywhere.
import { groupKey } from '../domain/text-fold.ts';
import type { GroupCardWrite } from './store.ts';

/** A contact's groups after the write, or null when they stay as they are. */
export function membershipAfter(groups: readonly string[], w: GroupCardWrite, named: boolean): string[] | null {
  const drop = new Set([w.group, w.previous].filter((g): g is string => g !== null).map(groupKey));
  const kept = groups.filter((g) => !drop.has(groupKey(g)));
  const after = named && w.group !== null ? [...kept, w.group] : kept;
  const same = after.length === groups.length && after.every((g, i) => g === groups[i]);
  return same ? null : after;
}

/** The group keys whose holders the write must look at. */
export function groupCardKeys(w: GroupCardWrite): string[] {
  return [...new Set([w.group, w.previous].filter((g): g is string => g !== null).map(groupKey))];
}
