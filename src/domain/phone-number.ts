// Phone numbers are normalised once, when written: the display form as entered, an E.164 form
// (parsed with the account's region) and a digits-only form used for caller-ID matching.
import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export interface NormalizedNumber {
  /** As entered, trimmed: what phones display. */
  raw: string;
  /** +<country><national>, or null for short internal numbers (extensions). */
  e164: string | null;
  /** Digits only: the E.164 digits without '+', or the extension's digits. */
  digits: string;
}

/**
 * ok with a warning: the number is kept as entered (what people wrote is what phones show and
 * dial) but has no E.164 form, because it is not a possible number for the account's region
 * (a foreign number in its national form, a number with a feature code). Caller-ID matching
 * still works on its digits.
 */
export type NumberResult =
  | { ok: true; value: NormalizedNumber; warning?: { code: 'number_not_valid_for_region' | 'dial_string'; reason: string } }
  | { ok: false; reason: string };

/** Internal numbers (extensions, feature codes) are at most this many digits and carry no '+'. */
export const MAX_EXTENSION_DIGITS = 6;
/** A number needs at least this many digits unless it is a short internal number. */
export const MIN_NUMBER_DIGITS = 3;
/** More digits than any dialable number, international prefix included: garbage. */
const MAX_DIGITS = 18;
/** Dialable characters; '+' only before the first digit. An extension marker may follow. */
const DIALABLE = /^[(]?[+]?[0-9 ()./\-*#]+$/;
const EXTENSION = /\s*(?:x|ext\.?|extension|#)\s*([0-9]{1,6})$/i;

/**
 * Where a dial string's number ends: "," pauses and ";" waits (RFC 3966 "visual separators" aside,
 * what iOS and Android dialers write), Android also "p" and "w" after a digit. What follows (a
 * conference PIN, an extension to key in) is dialled after the call connects.
 */
const PAUSE = /\s*(?:[,;]|(?<=[0-9])\s*[pw](?=[\s0-9*#,;]|$))/i;
/** A vanity number: digits, then a word of at least three letters ("1-800-FLOWERS"). */
const VANITY = /^[+(]?[0-9][0-9 ()./-]*[A-Za-z][A-Za-z0-9 ()./-]*$/;
/** ITU E.161 keypad letters. */
const KEYPAD: Record<string, string> = Object.fromEntries(
  ['ABC', 'DEF', 'GHI', 'JKL', 'MNO', 'PQRS', 'TUV', 'WXYZ'].flatMap((letters, i) => [...letters].map((l) => [l, String(i + 2)])),
);

/**
 * The part of a dial string a phone can dial ("+1 415 555 0100,,123456#" -> "+1 415 555 0100";
 * "1-800-FLOWERS" -> "1-800-3569377"), or null when the number is no dial string.
 */
export function dialPart(raw: string): string | null {
  let s = raw;
  let changed = false;
  const pause = PAUSE.exec(s);
  if (pause && pause.index > 0) {
    s = s.slice(0, pause.index).trim();
    changed = true;
  }
  const ext = EXTENSION.exec(s);
  const main = ext && /[0-9]/.test(s.slice(0, ext.index)) ? s.slice(0, ext.index) : s;
  if (/[A-Za-z]{3}/.test(main) && VANITY.test(main)) {
    s = main.replace(/[A-Za-z]/g, (l) => KEYPAD[l.toUpperCase()]) + s.slice(main.length);
    changed = true;
  }
  return changed ? s : null;
}

/** Regions of the North American Numbering Plan (calling code 1), cached per region. */
const nanp = new Map<string, boolean>();
function isNanp(region: string): boolean {
  let v = nanp.get(region);
  if (v === undefined) {
    try { v = getCountryCallingCode(region as CountryCode) === '1'; } catch { v = false; }
    nanp.set(region, v);
  }
  return v;
}

/**
 * The common case without libphonenumber (~16 us a number): in a NANP region, 10 digits with a
 * valid area code start (2-9), optionally after "1" or "+1", are possible numbers whose E.164
 * form is +1 and those 10 digits: exactly what libphonenumber answers for them (NANP numbers'
 * only possible length is 10), checked against it in test/domain/phone-number.test.ts.
 */
function nanpE164(main: string, digits: string, region: string): string | null {
  if (!isNanp(region) || /[^0-9 ()./+-]/.test(main)) return null;
  const plus = main.includes('+');
  if (digits.length === 10 && !plus && digits[0] >= '2') return '+1' + digits;
  if (digits.length === 11 && digits[0] === '1' && digits[1] >= '2' && (!plus || /^\(?\+1\D/.test(main))) return '+' + digits;
  return null;
}

/**
 * The common foreign number in a NANP account, without libphonenumber (20 us each; this, 1 us): a number
 * in another country's national form starts with its trunk prefix 0 ("030 52037728"). Without
 * "+" or the NANP international prefix 011, libphonenumber finds such a number possible in a
 * NANP region only with 7 or 10 digits (its possible lengths); any other length is not possible
 * there. Checked against libphonenumber in test/domain/phone-number.test.ts for every NANP region.
 */
function nanpNotPossible(main: string, digits: string, region: string): boolean {
  return digits[0] === '0' && !digits.startsWith('011') && digits.length !== 7 && digits.length !== 10
    && !main.includes('+') && isNanp(region);
}

export function normalizeNumber(input: string, region: string): NumberResult {
  const raw = input.trim().replace(/\s+/g, ' ');
  if (raw === '') return { ok: false, reason: 'is empty' };
  // A dial string is kept as entered (what people see); phones dial its number (e164, digits).
  const dial = dialPart(raw);
  if (dial !== null) {
    const inner = normalizeNumber(dial, region);
    if (!inner.ok) return inner;
    return {
      ok: true,
      value: { raw, e164: inner.value.e164, digits: inner.value.digits },
      warning: { code: 'dial_string', reason: `is a dial string: kept as entered; phones dial ${inner.value.e164 ?? dial}` },
    };
  }
  if (DIALABLE.test(raw) && !raw.includes('+')) {
    const all = raw.replace(/\D/g, '');
    if (all.length > 0 && all.length <= MAX_EXTENSION_DIGITS) return { ok: true, value: { raw, e164: null, digits: all } };
  }
  const ext = EXTENSION.exec(raw);
  const main = ext && /[0-9]/.test(raw.slice(0, ext.index)) ? raw.slice(0, ext.index) : raw;
  if (!DIALABLE.test(main) || (main !== raw && !/[0-9]/.test(main))) {
    return { ok: false, reason: 'is not a phone number (only digits, spaces, + ( ) - . / * #, an extension like "x123", a pause "," or ";" and a vanity word like 1-800-FLOWERS are allowed)' };
  }
  const digits = main.replace(/\D/g, '');
  if (digits.length === 0) return { ok: false, reason: 'has no digits' };
  if (digits.length < MIN_NUMBER_DIGITS) return { ok: false, reason: `has fewer than ${MIN_NUMBER_DIGITS} digits` };
  if (digits.length > MAX_DIGITS) return { ok: false, reason: `has more than ${MAX_DIGITS} digits: not a phone number` };
  const fast = nanpE164(main, digits, region);
  if (fast) return { ok: true, value: { raw, e164: fast, digits: fast.slice(1) } };
  const parsed = main.includes('*') || nanpNotPossible(main, digits, region) ? undefined : parsePhoneNumberFromString(main, region as CountryCode);
  if (!parsed || !parsed.isPossible()) {
    return {
      ok: true,
      value: { raw, e164: null, digits },
      warning: { code: 'number_not_valid_for_region', reason: `is not a valid number for region ${region}: kept as entered, without an international form` },
    };
  }
  const e164 = parsed.number; // '+14694292500'
  return { ok: true, value: { raw, e164, digits: e164.slice(1) } };
}

/**
 * The digits a caller-ID query should be matched with. A phone may send the number in national
 * form, with an international or trunk prefix, or as E.164; we turn it into the same digits-only
 * form as stored numbers where possible, and otherwise keep its bare digits (for tail matching).
 */
export function queryDigits(query: string, region: string): { full: string | null; digits: string } {
  const digits = query.replace(/\D/g, '');
  if (digits.length === 0) return { full: null, digits };
  const trimmed = query.trim();
  if (!trimmed.startsWith('+') && digits.length <= MAX_EXTENSION_DIGITS) {
    return { full: digits, digits };
  }
  // What every caller-ID lookup of a NANP account sends (a 10- or 11-digit number): libphonenumber's
  // answer without it (~20 us a parse; 400 distinct lookups after a restart), as for stored numbers.
  const fast = nanpE164(trimmed, digits, region);
  if (fast) return { full: fast.slice(1), digits };
  const key = `${region}\u0000${trimmed}`;
  const known = queryMemo.get(key);
  if (known !== undefined) return { full: known, digits };
  const full = parsedQueryDigits(trimmed, digits, region);
  if (queryMemo.size >= QUERY_MEMO_MAX) queryMemo.clear();
  queryMemo.set(key, full);
  return { full, digits };
}

/** Parsed caller-ID queries by region: a phone looks the same caller up at every call. Bounded:
 *  cleared when full (at most QUERY_MEMO_MAX short keys, a few MB). */
const queryMemo = new Map<string, string | null>();
const QUERY_MEMO_MAX = 20_000;

function parsedQueryDigits(trimmed: string, digits: string, region: string): string | null {
  const parsed = parsePhoneNumberFromString(trimmed, region as CountryCode);
  if (parsed && parsed.isPossible()) return parsed.number.slice(1);
  // "00" international prefix the region parser did not understand
  if (digits.startsWith('00')) return digits.slice(2);
  return null;
}

export function reverse(digits: string): string {
  let out = '';
  for (let i = digits.length - 1; i >= 0; i--) out += digits[i];
  return out;
}

// ---- Dialable forms for phonebooks (vendors branch) ----

export type DialForm = 'e164' | 'national';

/**
 * How numbers starting with a given E.164 prefix are dialled from a region, learnt from one real
 * parse per prefix: parsing costs about 0.3 ms a number, too slow for a directory of thousands.
 * The first 4 digits after "+" hold the country code and, for shared codes (NANP +1, +7, +44),
 * the area code that decides the country. null: the national form does not end with the
 * national number, so each number of that prefix is parsed on its own.
 */
const nationalRules = new Map<string, { cc: string; prefix: string; home: boolean } | null>();
const nationalMemo = new Map<string, string>();
const NATIONAL_MEMO_MAX = 50_000;

function nationalBySingleParse(e164: string, region: string): string {
  const key = `${region}\u0000${e164}`;
  const hit = nationalMemo.get(key);
  if (hit !== undefined) return hit;
  const parsed = parsePhoneNumberFromString(e164);
  const out = parsed && parsed.country === region ? parsed.formatNational().replace(/[^0-9]/g, '') : e164;
  if (nationalMemo.size >= NATIONAL_MEMO_MAX) nationalMemo.clear();
  nationalMemo.set(key, out);
  return out;
}

/**
 * What a phone should dial (and match incoming caller-ID against) for a stored number: no spaces,
 * brackets or dashes. Short internal numbers keep their digits (and * #). "national" gives the
 * national digits with the trunk prefix (US 4694292500, DE 030123456) for numbers of the
 * account's region, and E.164 for foreign numbers, which cannot be dialled nationally.
 */
export function dialableNumber(n: { raw: string; e164: string | null; digits: string }, form: DialForm, region: string): string {
  if (n.e164 === null) return (dialPart(n.raw) ?? n.raw).replace(/[^0-9*#]/g, '') || n.digits;
  if (form === 'e164') return n.e164;
  const key = `${region}\u0000${n.e164.slice(0, 5)}`;
  let rule = nationalRules.get(key);
  if (rule === undefined) {
    const parsed = parsePhoneNumberFromString(n.e164);
    rule = null;
    if (parsed) {
      const national = parsed.formatNational().replace(/[^0-9]/g, '');
      const nsn = String(parsed.nationalNumber);
      if (national.endsWith(nsn)) rule = { cc: String(parsed.countryCallingCode), prefix: national.slice(0, national.length - nsn.length), home: parsed.country === region };
    }
    if (nationalRules.size >= NATIONAL_MEMO_MAX) nationalRules.clear();
    nationalRules.set(key, rule);
  }
  if (rule === null || !n.e164.startsWith(`+${rule.cc}`)) return nationalBySingleParse(n.e164, region);
  return rule.home ? rule.prefix + n.e164.slice(1 + rule.cc.length) : n.e164;
}
