// Text clean-up for single-line contact fields, applied on every write path (API, portal,
// import) before validation: phones show one line, and every export format (CSV, XLSX = XML,
// vCard) must be able to hold whatever is stored. Line breaks and tabs become a space; characters
// no display or XML file can carry (controls, noncharacters, lone surrogates) are dropped.

/** Runs of line breaks and tabs (CR, LF, tab, VT, FF, NEL, LINE/PARAGRAPH SEPARATOR). */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
/**
 * Dropped: other C0/C1 controls and DEL, noncharacters (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF in
 * every plane), and surrogates not part of a pair. Pairs are matched first so they survive.
 */
const DROPPED = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFDD0-\uFDEF\uFFFE\uFFFF\uD800-\uDFFF]/g;
/** Quick test: does the text need any work at all? (Most values do not.) */
const NEEDS_WORK = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\uD800-\uDFFF\uFDD0-\uFDEF\uFFFE\uFFFF]/;

export interface CleanedText {
  text: string;
  /** Line breaks/tabs turned into spaces. */
  breaks: number;
  /** Characters dropped. */
  dropped: number;
}

export function cleanLine(value: string): CleanedText {
  if (!NEEDS_WORK.test(value)) return { text: value, breaks: 0, dropped: 0 };
  let breaks = 0;
  let dropped = 0;
  const text = value
    .replace(BREAKS, () => { breaks++; return ' '; })
    .replace(DROPPED, (m) => {
      if (m.length === 2) {
        // a surrogate pair: keep it unless it encodes a noncharacter (U+1FFFE, U+10FFFF, ...)
        const cp = m.codePointAt(0)!;
        if ((cp & 0xfffe) !== 0xfffe) return m;
      }
      dropped++;
      return '';
    });
  return { text, breaks, dropped };
}

/** True when the text is already what cleanLine would make of it. */
export function isCleanLine(value: string): boolean {
  return !NEEDS_WORK.test(value) || cleanLine(value).text === value;
}

/** What a clean-up did, in words, for a warning. */
export function describeCleaning(c: CleanedText): string {
  const parts: string[] = [];
  if (c.breaks) parts.push(`${c.breaks} line break(s) or tab(s) replaced by a space`);
  if (c.dropped) parts.push(`${c.dropped} control or non-character(s) removed`);
  return parts.join('; ');
}
