// fold() has a shortcut for plain ASCII names; it must give exactly what the full path gives.
import { describe, expect, it } from 'vitest';
import { fold, words } from '../../src/domain/text-fold.ts';

const EXTRA: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', þ: 'th', ı: 'i' };
const fullPath = (t: string) => t.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
  .replace(/[ßæœøđłþı]/g, (c) => EXTRA[c]).replace(/\s+/g, ' ').trim();

describe('fold', () => {
  it('gives the full path\'s result for plain, spaced, accented and odd text', () => {
    const samples = ['', ' ', 'a', 'Ab', 'A  b', ' a', 'a ', 'a b c', 'José', 'ÁLVAREZ & Sons', 'x\ty', 'a\u00a0b',
      'Straße', 'Łódź', "O'Neil-Smith & Co.", 'İstanbul', 'ABC DEF ', 'tab\tend', 'emoji 😀 ok', 'שלום עולם'];
    for (const s of samples) expect(fold(s), JSON.stringify(s)).toBe(fullPath(s));
  });

  it('folds case and accents so either form finds the other', () => {
    expect(fold('José Álvarez')).toBe('jose alvarez');
    expect(fold('  Anne   Marie ')).toBe('anne marie');
    expect(words('Álvarez & Sons, Ltd.')).toEqual(['alvarez', 'sons', 'ltd']);
  });
});
