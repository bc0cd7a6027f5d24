// A file handed to a job thread moves there when it owns its whole buffer (an upload: no copy of
// 52 MB per hop), and is copied when it is a view of a larger one (Node's pool, a slice).
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { movableBytes } from '../../src/jobs/movable-bytes.ts';

describe('movableBytes', () => {
  it('moves a file that owns its buffer, copies a view', () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const upload = Buffer.concat([Buffer.alloc(40_000, 'a'), Buffer.alloc(40_000, 'b')]); // how multer builds a file
      const moved = movableBytes(upload);
      expect(moved.buffer).toBe(upload.buffer);
      port1.postMessage(moved, [moved.buffer as ArrayBuffer]);
      expect(upload.byteLength).toBe(0); // moved, not copied

      const big = Buffer.alloc(100_000, 'c');
      const view = big.subarray(10, 50_010);
      const copied = movableBytes(view);
      expect(copied.buffer).not.toBe(big.buffer);
      expect(Buffer.from(copied)).toEqual(view);
      port1.postMessage(copied, [copied.buffer as ArrayBuffer]);
      expect(big.byteLength).toBe(100_000); // the larger buffer is untouched

      const small = Buffer.from('First Name\nZoë\n'); // a view of Node's shared pool
      expect(Buffer.from(movableBytes(small))).toEqual(small);
      expect(movableBytes(small).buffer).not.toBe(small.buffer);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
