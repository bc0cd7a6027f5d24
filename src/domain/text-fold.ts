// Case- and accent-insensitive forms of names, so "Jose*" finds "José" in every front end.

const COMBINING_MARKS = /[\u0300-\u036f]/g;
// Letters that NFD does not decompose but people type without the mark.
const EXTRA: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', þ: 'th', ı: 'i' };
const EXTRA_RE = /[ßæœøđłþı]/g;

// Printable ASCII without double spaces or edge spaces needs only lowercasing (most names are
// like that; the full path below costs five passes over the text).
const PLAIN = /^(?:[!-~]+ )*[!-~]*$/;

export function fold(text: string): string {
  if (PLAIN.test(text) && !text.endsWith(' ')) return text.toLowerCase();
  return text
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .toLowerCase()
    .replace(EXTRA_RE, (c) => EXTRA[c] ?? c)
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The one key group names compare by, everywhere (uniqueness in both stores, contacts' group
 * lists, criteria, LDAP filters, exports): the name folded, so "Équipe", "équipe" and "EQUIPE"
 * are one group. Both stores keep it in groups.name_key under a unique index.
 */
export function groupKey(name: string): string {
  return fold(name);
}

/** Words of a folded text, for word-prefix search ("smi" finds "John Smith"). */
export function words(text: string): string[] {
  return foldedWords(fold(text));
}

/** words() of a text already folded. */
export function foldedWords(folded: string): string[] {
  return folded.split(/[\s,.;:/()"'&+-]+/).filter((w) => w.length > 0);
}

/** The smallest string greater than every string starting with `prefix` (for index range scans). */
export function prefixUpperBound(prefix: string): string {
  return prefix + '\uffff';
}
