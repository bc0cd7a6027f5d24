// The phone credential cache over the asynchronous store: a right credential is answered from
// memory (no store read), a change hint for the account drops its entry, a (re)connect drops all,
// nothing is cached while the change feed is down, and a credential changed where no hint comes
// from (another process on SQLite) works at once because a mismatch is read again.
import { describe, expect, it } from 'vitest';
import { PhoneCredentialService } from '../../src/auth/phone-credentials.ts';
import { SecretBox } from '../../src/auth/secret-box.ts';
import type { ChangeHint, PhoneCredentials } from '../../src/store/async-store.ts';

const actor = { id: 'test' };

/** A store of phone credentials only, counting its reads, with a hint channel the test drives. */
function fakeDb() {
  const rows = new Map<string, PhoneCredentials>();
  let onHint: ((h: ChangeHint) => void) | null = null;
  const watch = { connected: true, close: async () => { onHint = null; } };
  const db = {
    reads: 0,
    rows,
    watch,
    hint: (h: ChangeHint) => onHint?.(h),
    getPhoneCredentials: async (id: string) => { db.reads++; return rows.get(id) ?? null; },
    setPhoneCredentials: async (id: string, c: PhoneCredentials | null) => { if (c) rows.set(id, c); else rows.delete(id); },
    findAccountByPathToken: async (t: string) => { db.reads++; return [...rows].find(([, c]) => c.pathToken === t)?.[0] ?? null; },
    watchChanges: async (h: (hint: ChangeHint) => void) => { onHint = h; return watch; },
  };
  return db;
}

function setup() {
  const db = fakeDb();
  const box = SecretBox.fromText(SecretBox.newKeyText(), 'test');
  const clock = { now: 1_000_000 };
  const service = new PhoneCredentialService(db, box, () => clock.now);
  return { db, box, clock, service };
}

describe('phone credentials in memory', () => {
  it('reads the store once for many phones arriving together on a cold cache, but not across a change', async () => {
    const { db, box, service } = setup();
    db.rows.set('acme', { username: 'phones', secretSealed: box.seal('pw-1'), pathToken: 'tok-0123456789abcdef' });
    const answers = await Promise.all(Array.from({ length: 200 }, () => service.verify('acme', 'phones', 'pw-1')));
    expect(answers.every(Boolean)).toBe(true);
    expect(db.reads).toBe(1);
    // a read under way when a change is hinted is not handed to a caller that comes after it
    await service.close();
    const fresh = setup();
    fresh.db.rows.set('acme', { username: 'phones', secretSealed: fresh.box.seal('old'), pathToken: 'tok-0123456789abcdef' });
    // the first read takes the row as it is, then waits until the test lets it answer
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let started!: () => void;
    const reading = new Promise<void>((r) => { started = r; });
    fresh.db.getPhoneCredentials = async (id: string) => {
      const row = fresh.db.rows.get(id) ?? null;
      fresh.db.reads++;
      if (fresh.db.reads === 1) { started(); await gate; }
      return row;
    };
    const before = fresh.service.verify('acme', 'phones', 'old');
    await reading;
    fresh.db.rows.set('acme', { username: 'phones', secretSealed: fresh.box.seal('new'), pathToken: 'tok-0123456789abcdef' });
    fresh.db.hint({ kind: 'changed', accountId: 'acme', revision: 2 });
    const after = fresh.service.verify('acme', 'phones', 'new');
    expect(await after).toBe(true); // shared with the first read, it would have seen 'old'
    release();
    expect(await before).toBe(true);
    await fresh.service.close();
  });

  it('answers a right credential and a path token without reading the store once they are cached', async () => {
    const { db, service } = setup();
    const { pathToken } = await service.set('acme', 'phones', 'phone-password', actor);
    expect(await service.verify('acme', 'phones', 'phone-password')).toBe(true);
    expect(await service.accountForPathToken(pathToken)).toBe('acme');
    const reads = db.reads;
    for (let i = 0; i < 1000; i++) {
      expect(await service.verify('acme', 'phones', 'phone-password')).toBe(true);
      expect(await service.accountForPathToken(pathToken)).toBe('acme');
    }
    expect(db.reads).toBe(reads);
  });

  it('drops an account on its hint and everything on a (re)connect; caches nothing while the feed is down', async () => {
    const { db, box, service } = setup();
    await service.set('acme', 'phones', 'one-password', actor);
    await service.set('globex', 'phones', 'globex-password', actor);
    expect(await service.verify('acme', 'phones', 'one-password')).toBe(true);
    expect(await service.verify('globex', 'phones', 'globex-password')).toBe(true);
    // another instance changes acme's password: its hint drops acme only
    db.rows.set('acme', { ...db.rows.get('acme')!, secretSealed: box.seal('two-password') });
    db.hint({ kind: 'changed', accountId: 'acme', revision: 2 });
    expect(await service.verify('acme', 'phones', 'one-password')).toBe(false);
    let reads = db.reads;
    expect(await service.verify('globex', 'phones', 'globex-password')).toBe(true);
    expect(db.reads).toBe(reads);
    // a reconnect (hints may have been lost) drops everything
    db.hint({ kind: 'connected' });
    reads = db.reads;
    expect(await service.verify('globex', 'phones', 'globex-password')).toBe(true);
    expect(db.reads).toBe(reads + 1);
    // while the channel is down every check reads the store
    db.watch.connected = false;
    reads = db.reads;
    for (let i = 0; i < 3; i++) expect(await service.verify('globex', 'phones', 'globex-password')).toBe(true);
    expect(db.reads).toBe(reads + 3);
  });

  it('takes a credential changed without a hint at once, and forgets the replaced one within 10 s', async () => {
    const { db, box, clock, service } = setup();
    await service.set('acme', 'phones', 'one-password', actor);
    expect(await service.verify('acme', 'phones', 'one-password')).toBe(true);
    // changed by a process that sends no hint (the CLI on the same SQLite file)
    db.rows.set('acme', { ...db.rows.get('acme')!, secretSealed: box.seal('two-password') });
    expect(await service.verify('acme', 'phones', 'two-password')).toBe(true);
    expect(await service.verify('acme', 'phones', 'one-password')).toBe(false);
    // a rotated path token, the same way
    const rotated = 'rotated-token';
    const old = db.rows.get('acme')!.pathToken;
    db.rows.set('acme', { ...db.rows.get('acme')!, pathToken: rotated });
    expect(await service.accountForPathToken(rotated)).toBe('acme');
    clock.now += 10_001;
    expect(await service.accountForPathToken(old)).toBeNull();
  });

  it('does not keep accounts without credentials (a phone may name any account)', async () => {
    const { db, service } = setup();
    for (let i = 0; i < 100; i++) expect(await service.verify(`nobody${i}`, 'phones', 'x')).toBe(false);
    const reads = db.reads;
    expect(await service.verify('nobody0', 'phones', 'x')).toBe(false);
    expect(db.reads).toBe(reads + 1);
  });
});
