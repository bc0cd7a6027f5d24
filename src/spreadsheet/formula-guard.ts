// Spreadsheet formula injection: a CSV cell starting with = + - @ is run as a formula when Excel
// opens the file. Export prefixes such cells with an apostrophe; import removes exactly that
// prefix again, so an exported file imports back unchanged (phone numbers like "+1 469..." are
// the common case, not an attack). A value that itself starts with apostrophes before such a
// character gets one more, so that removing one on import gives it back exactly.
const FORMULA_START = /^'*[=+\-@]/;

export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function restoreCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}
