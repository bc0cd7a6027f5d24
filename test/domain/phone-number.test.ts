// Number normalisation: the one place every front end's caller-ID matching depends on.
import { describe, expect, it } from 'vitest';
import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { dialableNumber, normalizeNumber, queryDigits } from '../../src/domain/phone-number.ts';
import { tryPrepareContact } from '../../src/domain/prepare-contact.ts';

describe('normalizeNumber', () => {
  it.each([
    ['+1 (469) 429-2500', 'US', '+14694292500'],
    ['(469) 429-2500', 'US', '+14694292500'],
    ['469.429.2500', 'US', '+14694292500'],
    ['1-469-429-2500', 'US', '+14694292500'],
    ['020 7946 0018', 'GB', '+442079460018'],
    ['+49 30 1234567', 'US', '+49301234567'],
    ['030 1234567', 'DE', '+49301234567'],
  ])('%s in %s is %s', (input, region, e164) => {
    const r = normalizeNumber(input, region);
    expect(r.ok && r.value.e164).toBe(e164);
    expect(r.ok && r.value.digits).toBe(e164.slice(1));
    expect(r.ok && r.value.raw).toBe(input);
  });

  it('keeps short internal numbers as extensions', () => {
    expect(normalizeNumber('1001', 'US')).toEqual({ ok: true, value: { raw: '1001', e164: null, digits: '1001' } });
    expect(normalizeNumber('*72', 'US')).toMatchObject({ ok: true, value: { digits: '72', e164: null } });
  });

  it.each([
    ['call me', /not a phone number/],
    ['12345678901234567890', /more than 18 digits/],
    ['+12', /fewer than 3 digits/],
    ['555-CA', /not a phone number/], // two letters are no vanity word
    ['CALL-555', /not a phone number/], // letters first: a note, not a number
    ['+1 (469) + 2500', /not a phone number/],
    ['   ', /empty/],
  ])('rejects %j', (input, reason) => {
    const r = normalizeNumber(input, 'US');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it.each([
    ['+1 415 555 0100,,123456#', '+14155550100', 'conference PIN after pauses'],
    ['+49 30 1234567;99', '+49301234567', 'a wait'],
    ['+14155550100p123', '+14155550100', "Android's p pause"],
    ['1-800-FLOWERS', '+18003569377', 'vanity letters (ITU E.161 keypad)'],
    ['1-800-FLOWERS x12', '+18003569377', 'vanity letters and an extension'],
  ])('keeps the dial string %s as entered; phones dial %s (%s)', (input, e164) => {
    const r = normalizeNumber(input, 'US');
    expect(r.ok && r.value).toMatchObject({ raw: input, e164, digits: e164.slice(1) });
    expect(r.ok && r.warning?.code).toBe('dial_string');
    expect(r.ok && dialableNumber(r.value, 'e164', 'US')).toBe(e164);
    expect(r.ok && dialableNumber({ ...r.value, e164: null }, 'e164', 'US')).not.toMatch(/[,;pA-Z]/);
  });

  it.each([
    ['030 52037728', '03052037728'],
    ['020 4090 5415', '02040905415'],
    ['+1 23', '123'],
    ['*67 214 555 0100', '672145550100'],
  ])('keeps %s (not valid for US) as entered, digits %s, with a warning', (input, digits) => {
    const r = normalizeNumber(input, 'US');
    expect(r).toEqual({
      ok: true, value: { raw: input, e164: null, digits },
      warning: { code: 'number_not_valid_for_region', reason: expect.stringMatching(/region US/) },
    });
  });

  it('keeps extensions with the number and matches on the main number', () => {
    for (const input of ['+1 469 429 2500 x123', '(469) 429-2500 ext. 123', '469-429-2500 #123']) {
      expect(normalizeNumber(input, 'US')).toEqual({ ok: true, value: { raw: input, e164: '+14694292500', digits: '14694292500' } });
    }
  });

  it('gives the same E.164 form as libphonenumber for NANP numbers in every common format (fast path)', () => {
    const formats = [
      (d: string) => d, (d: string) => `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, (d: string) => `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`,
      (d: string) => `1-${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`, (d: string) => `+1 ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`,
      (d: string) => `1${d}`, (d: string) => `+1${d}`, (d: string) => `(+1) ${d}`, (d: string) => `${d.slice(0, 3)}/${d.slice(3)}`,
    ];
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (const region of ['US', 'CA']) {
      for (let i = 0; i < 500; i++) {
        const input = formats[i % formats.length](String(next() % 1e10).padStart(10, '0'));
        const lib = parsePhoneNumberFromString(input, region as CountryCode);
        const r = normalizeNumber(input, region);
        expect(r.ok && r.value.e164, `${input} in ${region}`).toBe(lib && lib.isPossible() ? lib.number : null);
      }
    }
  }, 30_000);

  it('finds foreign national numbers not possible in every NANP region exactly as libphonenumber does (fast path)', () => {
    const regions = getCountries().filter((c) => getCountryCallingCode(c) === '1');
    expect(regions.length).toBeGreaterThan(20);
    const formats = [
      (d: string) => d, (d: string) => d.replace(/(\d{3})(?=\d)/g, '$1 '), (d: string) => d.replace(/(\d{4})(?=\d)/g, '$1-'),
      (d: string) => `(${d.slice(0, 3)}) ${d.slice(3)}`, (d: string) => d.replace(/(\d{2})(?=\d)/g, '$1.'), (d: string) => `${d.slice(0, 4)}/${d.slice(4)}`,
    ];
    let seed = 11;
    const next = () => (seed = (seed * 48271) % 2147483647);
    let fast = 0;
    for (let i = 0; i < 1500; i++) {
      // a trunk prefix 0 (or 011), then 2 to 15 digits: every length up to 18, the 7- and 10-digit forms included
      const rest = Array.from({ length: 2 + (i % 14) }, () => String(next() % 10)).join('');
      const input = formats[i % formats.length](i % 25 === 0 ? `011${rest}` : `0${rest}`);
      for (const region of i % 10 === 0 ? regions : ['US', regions[i % regions.length]]) {
        const lib = parsePhoneNumberFromString(input, region as CountryCode);
        const r = normalizeNumber(input, region);
        expect(r.ok && r.value.e164, `${input} in ${region}`).toBe(lib && lib.isPossible() ? lib.number : null);
        if (r.ok && r.value.e164 === null) fast++;
      }
    }
    expect(fast).toBeGreaterThan(1000);
  }, 60_000);

  it('turns caller-ID queries in any format into the stored digits', () => {
    expect(queryDigits('4694292500', 'US').full).toBe('14694292500');
    expect(queryDigits('+14694292500', 'US').full).toBe('14694292500');
    expect(queryDigits('0014694292500', 'DE').full).toBe('14694292500');
    expect(queryDigits('1001', 'US').full).toBe('1001');
  });

  it('reads caller-ID queries exactly as libphonenumber does, with or without its fast path and memo', () => {
    const reference = (query: string, region: string) => {
      const digits = query.replace(/\D/g, '');
      const lib = parsePhoneNumberFromString(query.trim(), region as CountryCode);
      return lib && lib.isPossible() ? lib.number.slice(1) : digits.startsWith('00') ? digits.slice(2) : null;
    };
    const queries = ['4694292500', '14694292500', '1 469 429 2500', '(469) 429-2500', '+14694292500', '+1 469 429 2500', '0694292500',
      '1694292500', '11694292500', '046942925001', '4694292500#', '+4930123456', '03012345678', '0014694292500', '469429250', '01130123456'];
    for (const region of ['US', 'CA', 'JM', 'DE', 'GB', 'FR']) {
      for (const query of queries) {
        // twice: the second answer comes from the memo
        for (let i = 0; i < 2; i++) expect(queryDigits(query, region).full, `${query} in ${region}`).toBe(reference(query, region));
      }
    }
  });
});

describe('tryPrepareContact', () => {
  it('names every bad field with its value and reason', () => {
    const r = tryPrepareContact({ firstName: 'A', workNumber: 'x', mobileNumber: '+12' }, 'US');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => [e.field, e.value])).toEqual([['workNumber', 'x'], ['mobileNumber', '+12']]);
  });

  it('requires a name, not a number (warned: phones do not list it), and drops duplicate groups regardless of case', () => {
    const r = tryPrepareContact({ title: 'CEO' }, 'US');
    expect(!r.ok && r.errors.map((e) => e.field)).toEqual(['firstName']);
    const mailOnly = tryPrepareContact({ firstName: 'Mo', email: 'mo@example.test' }, 'US');
    expect(mailOnly.ok && mailOnly.warnings.map((w) => w.code)).toEqual(['no_phone_number']);
    const ok = tryPrepareContact({ company: 'Acme', workNumber: '1001', groups: ['VIP', 'vip', 'Suppliers'] }, 'US');
    expect(ok.ok && ok.contact.fields.groups).toEqual(['VIP', 'Suppliers']);
  });

  it('rejects unknown fields rather than silently dropping them', () => {
    const r = tryPrepareContact({ company: 'Acme', workNumber: '1001', nickname: 'x' }, 'US');
    expect(r.ok).toBe(false);
  });
});
