// Password checks: a repeated wrong password is answered without another hash (a device with a
// stale password is not slowed by the limiter, and each hash costs 128 MiB and most of a
// second), a right password is always hashed, and a password change ends what was remembered.
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordHashing, verifyPassword } from '../../src/auth/passwords.ts';

const hashed = async (f: () => Promise<unknown>) => {
  const before = passwordHashing.hashes;
  await f();
  return passwordHashing.hashes - before;
};

describe('verifyPassword', () => {
  it('hashes a wrong password once, then answers its repeats at once', async () => {
    const stored = await hashPassword('right-password-1');
    expect(await hashed(async () => expect(await verifyPassword('stale-password-1', stored)).toBe(false))).toBe(1);
    expect(await hashed(async () => expect(await verifyPassword('stale-password-1', stored)).toBe(false))).toBe(0);
    // another wrong password is a first try: hashed
    expect(await hashed(async () => expect(await verifyPassword('stale-password-2', stored)).toBe(false))).toBe(1);
    // the right one is always checked
    expect(await hashed(async () => expect(await verifyPassword('right-password-1', stored)).toBe(true))).toBe(1);
    expect(await hashed(async () => expect(await verifyPassword('right-password-1', stored)).toBe(true))).toBe(1);
  }, 30_000);

  it('forgets on a password change: the old wrong password, now the new one, is right at once', async () => {
    const before = await hashPassword('first-password-1');
    expect(await verifyPassword('second-password-2', before)).toBe(false);
    const after = await hashPassword('second-password-2');
    expect(await hashed(async () => expect(await verifyPassword('second-password-2', after)).toBe(true))).toBe(1);
  }, 30_000);

  it('treats unknown users alike: the first try hashes, a repeat does not, a user created later is checked', async () => {
    expect(await hashed(async () => expect(await verifyPassword('guess-password-1', null)).toBe(false))).toBe(1);
    expect(await hashed(async () => expect(await verifyPassword('guess-password-1', null)).toBe(false))).toBe(0);
    const created = await hashPassword('guess-password-1');
    expect(await verifyPassword('guess-password-1', created)).toBe(true);
  }, 30_000);
});
