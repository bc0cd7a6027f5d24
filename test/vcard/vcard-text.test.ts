// vCard export details: escaping and line folding at 75 octets without splitting characters.
import { describe, expect, it } from 'vitest';
import { escapeVcard, foldLine } from '../../src/vcard/vcard-text.ts';

describe('vCard', () => {
  it('escapes backslash, comma, semicolon and line breaks', () => {
    expect(escapeVcard('a\\b,c;d\r\ne\nf')).toBe('a\\\\b\\,c\\;d\\ne\\nf');
  });
  it('folds long lines at 75 octets and never splits a multi-byte character', () => {
    const line = 'ORG:' + 'é'.repeat(100);
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(75);
    expect(parts.slice(1).every((p) => p.startsWith(' '))).toBe(true);
    expect(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe(line);
    expect(foldLine('FN:short')).toBe('FN:short');
  });
});
