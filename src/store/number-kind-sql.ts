// The number-kind condition of a caller-ID or number criterion, as SQL over contact_numbers n:
// the same text on both engines (their tables have the same columns).
import type { NumberKindFilter } from './store.ts';

// 'work' includes internal users' extensions: both are "the office number" to a phone.
export const KIND_SQL: Record<NumberKindFilter, string> = {
  any: '',
  work: ` AND n.kind IN ('work','extension')`,
  mobile: ` AND n.kind = 'mobile'`,
  home: ` AND n.kind = 'home'`,
  fax: ` AND n.kind = 'fax'`,
  extension: ` AND n.kind = 'extension'`,
};
