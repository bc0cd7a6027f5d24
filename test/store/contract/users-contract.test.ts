// The contract suite's part for people and credentials, over both engines: users (each mirrored
// as a directory entry), API tokens, CardDAV card names, portal sessions and the sign-in
// limiter's counters, which must be shared by every instance on one database.
import { signinFailurePolicy } from '../../../src/auth/signin-wait.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareContact } from '../../../src/domain/prepare-contact.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/errors.ts';
import type { SessionRecord } from '../../../src/store/async-store.ts';
import { CardTakenError } from '../../../src/store/card-taken.ts';
import { KINDS, type ContractStore } from './stores.ts';

const actor = { id: 'test' };
const SHARED = { source: 'shared' } as const;
const USERS = { shared: false, users: true, personalOf: null };
const POLICY = signinFailurePolicy({ forgetFailureSeconds: 60, maxDelaySeconds: 30 });
const prep = (lastName: string) => prepareContact({ lastName, workNumber: '+1 469 429 2000' }, 'US');

for (const makeKind of KINDS) {
  const kind = makeKind();
  describe.skipIf(!kind.available())(`store contract, users and credentials: ${kind.name}`, () => {
    let store: ContractStore;
    beforeAll(async () => {
      await kind.setUp('users');
      store = await kind.open();
      await store.createAccount({ id: 'acme', name: 'Acme', region: 'US' }, actor);
      await store.createAccount({ id: 'globex', name: 'Globex', region: 'US' }, actor);
    });
    afterAll(async () => { await kind.tearDown(); });

    it('creates, finds, lists, updates and deletes users, each mirrored as a directory entry fed like any contact', async () => {
      const v0 = (await store.getAccountVersion('acme'))!.revision;
      const ana = await store.createUser('acme', { username: 'ana', name: 'Ana María Soto', scope: 'basic', extension: '204', directNumber: '(214) 555-0100', email: 'Ana@Acme.example', passwordHash: 'h1' }, actor);
      expect(ana).toMatchObject({ accountId: 'acme', username: 'ana', name: 'Ana María Soto', extension: '204', hasPassword: true });
      await expect(store.createUser('acme', { username: 'ana', name: 'Other', scope: 'basic' }, actor)).rejects.toBeInstanceOf(ConflictError);
      const bo = await store.createUser('acme', { username: 'bo', name: 'Bo', scope: 'office_manager' }, actor);
      expect(bo.hasPassword).toBe(false);
      expect((await store.getAccountVersion('acme'))!.revision).toBe(v0 + 2);

      const entry = (await store.getContact('acme', ana.id, USERS))!;
      expect(entry).toMatchObject({ source: 'user', userId: ana.id, firstName: 'Ana María', lastName: 'Soto', workNumber: '204', email: 'Ana@Acme.example' });
      expect(entry.numbers).toEqual([
        { kind: 'extension', raw: '204', e164: null, digits: '204' },
        expect.objectContaining({ kind: 'work', e164: '+12145550100' }),
      ]);
      expect((await store.changesSince('acme', v0))!.changed.sort()).toEqual([ana.id, bo.id].sort());

      expect(await store.getUser('acme', ana.id)).toEqual(ana);
      expect(await store.getUser('globex', ana.id)).toBeNull();
      expect(await store.findUserByLogin('acme', ' ANA ')).toMatchObject({ id: ana.id, passwordHash: 'h1' });
      expect(await store.findUserByLogin('acme', 'ana@acme.example')).toMatchObject({ id: ana.id });
      expect(await store.findUserByLogin('globex', 'ana')).toBeNull();
      expect((await store.listUsers('acme')).map((u) => u.username)).toEqual(['ana', 'bo']);

      const v1 = (await store.getAccountVersion('acme'))!.revision;
      const renamed = await store.updateUser('acme', ana.id, { name: 'Ana Ruiz', extension: '205' }, actor);
      expect(renamed).toMatchObject({ name: 'Ana Ruiz', extension: '205', scope: 'basic', email: 'Ana@Acme.example', hasPassword: true });
      expect(await store.getContact('acme', ana.id, USERS)).toMatchObject({ firstName: 'Ana', lastName: 'Ruiz', workNumber: '205' });
      expect(await store.changesSince('acme', v1)).toMatchObject({ changed: [ana.id], deleted: [] });
      expect((await store.findUserByLogin('acme', 'ana'))!.passwordHash).toBe('h1'); // kept when the patch has none
      expect((await store.updateUser('acme', ana.id, { passwordHash: null }, actor)).hasPassword).toBe(false);
      await expect(store.updateUser('acme', 'nobody', { name: 'X' }, actor)).rejects.toBeInstanceOf(NotFoundError);

      // a password hash is upgraded only while it is still the one expected
      await store.updateUser('acme', bo.id, { passwordHash: 'old' }, actor);
      expect(await store.upgradePasswordHash('acme', bo.id, 'stale', 'new')).toBe(false);
      expect(await store.upgradePasswordHash('acme', bo.id, 'old', 'new')).toBe(true);
      expect((await store.findUserByLogin('acme', 'bo'))!.passwordHash).toBe('new');

      // deleting a user takes their entry, personal contacts and tokens along; the feed says so
      const mine = await store.createContact('acme', { source: 'personal', userId: bo.id }, prep('Private'), actor);
      const token = await store.createToken({ accountId: 'acme', userId: bo.id, label: 'script', tokenHash: 'bo-token' });
      const v2 = (await store.getAccountVersion('acme'))!.revision;
      await store.deleteUser('acme', bo.id, actor);
      expect(await store.getUser('acme', bo.id)).toBeNull();
      expect(await store.getContact('acme', mine.id, { shared: false, users: false, personalOf: bo.id })).toBeNull();
      expect(await store.findTokenByHash(token.id)).toBeNull();
      expect((await store.changesSince('acme', v2))!.deleted.sort()).toEqual([bo.id, mine.id].sort());
      await expect(store.deleteUser('acme', bo.id, actor)).rejects.toBeInstanceOf(NotFoundError);
      expect((await store.listAudit('acme', { limit: 20 })).map((e) => e.action).filter((a) => a.startsWith('user.'))).toEqual(
        ['user.delete', 'user.update', 'user.update', 'user.update', 'user.create', 'user.create']);
      // writes to personal contacts stay out of the account's change history
      expect((await store.listAudit('acme', { limit: 5, contactId: mine.id }))).toEqual([]);
    });

    it("normalises a user's extension and direct number as a contact's numbers, cleans the name, and writes nothing for a number that is none", async () => {
      const numbersOf = (c: { numbers: { raw: string; e164: string | null; digits: string }[] }) => c.numbers.map(({ raw, e164, digits }) => ({ raw, e164, digits }));
      const cases = [
        // a short extension, and a direct number typed with brackets, dashes and doubled spaces
        { extension: '2101', directNumber: ' +1 (214)  555-0177 ' },
        // a ten-digit "extension" (a DID used as the extension) gets its E.164 form like any number
        { extension: '4694292000', directNumber: '469.429.2001 x 55' },
      ];
      for (const [i, numbers] of cases.entries()) {
        const user = await store.createUser('globex', { username: `n${i}`, name: 'Dee\u0007 Jones', scope: 'basic', ...numbers }, actor);
        const entry = (await store.getContact('globex', user.id, USERS))!;
        // the same values typed into a contact's work and mobile numbers
        const contact = prepareContact({ lastName: 'X', workNumber: numbers.extension, mobileNumber: numbers.directNumber }, 'US');
        expect(numbersOf(entry)).toEqual(numbersOf(contact));
        expect(entry.numbers.map((n) => n.kind)).toEqual(['extension', 'work']);
        expect(entry).toMatchObject({ firstName: 'Dee', lastName: 'Jones', workNumber: numbers.extension });
      }
      expect(numbersOf((await store.getContact('globex', (await store.findUserByLogin('globex', 'n0'))!.id, USERS))!)).toEqual([
        { raw: '2101', e164: null, digits: '2101' },
        { raw: '+1 (214) 555-0177', e164: '+12145550177', digits: '12145550177' },
      ]);

      // an update goes through the same rule; a direct number that is none is refused and nothing is written
      const n0 = (await store.findUserByLogin('globex', 'n0'))!;
      await store.updateUser('globex', n0.id, { directNumber: '(972) 555-0199' }, actor);
      expect((await store.getContact('globex', n0.id, USERS))!.numbers[1]).toMatchObject({ raw: '(972) 555-0199', e164: '+19725550199', digits: '19725550199' });
      await expect(store.updateUser('globex', n0.id, { directNumber: 'call reception' }, actor)).rejects.toMatchObject({
        status: 400, details: [{ field: 'directNumber', value: 'call reception' }],
      });
      await expect(store.createUser('globex', { username: 'bad', name: 'Bad', scope: 'basic', extension: '12', directNumber: 'call reception' }, actor))
        .rejects.toBeInstanceOf(ValidationError);
      expect(await store.findUserByLogin('globex', 'bad')).toBeNull();
      expect((await store.getUser('globex', n0.id))!.directNumber).toBe('(972) 555-0199');
    });

    it('keeps tokens by hash: platform and account tokens, listed per owner, touched, deleted only in their account', async () => {
      const user = await store.createUser('globex', { username: 'tok', name: 'Token Owner', scope: 'office_manager' }, actor);
      const platformBefore = await store.countPlatformTokens();
      const platform = await store.createToken({ accountId: null, userId: null, label: 'admin', tokenHash: 'hash-p' });
      expect(platform).toMatchObject({ kind: 'platform', accountId: null, userId: null, label: 'admin', lastUsedAt: null });
      expect(platform).not.toHaveProperty('tokenHash');
      expect(await store.countPlatformTokens()).toBe(platformBefore + 1);
      const t1 = await store.createToken({ accountId: 'globex', userId: user.id, label: 'one', tokenHash: 'hash-1' });
      const t2 = await store.createToken({ accountId: 'globex', userId: user.id, label: 'two', tokenHash: 'hash-2' });
      expect(t1.kind).toBe('api');
      expect(await store.findTokenByHash('hash-1')).toEqual({ ...t1, tokenHash: 'hash-1' });
      expect(await store.findTokenByHash('nope')).toBeNull();
      expect((await store.listTokens('globex', user.id)).map((t) => t.id)).toEqual([t1.id, t2.id]);
      expect((await store.listTokens(null, null)).map((t) => t.id)).toContain(platform.id);

      await store.touchToken(t1.id);
      expect((await store.findTokenByHash('hash-1'))!.lastUsedAt).not.toBeNull();
      expect(await store.deleteToken('acme', t1.id)).toBe(false); // another account's token: untouched
      expect(await store.deleteToken('globex', t1.id)).toBe(true);
      expect(await store.deleteToken('globex', t1.id)).toBe(false);
      expect(await store.deleteToken(null, platform.id)).toBe(true);
      expect((await store.listTokens('globex', user.id)).map((t) => t.id)).toEqual([t2.id]);
    });

    it('creates a contact with the card name a CardDAV client chose, and keeps the name after the contact is gone', async () => {
      const owner = await store.createUser('acme', { username: 'carol', name: 'Carol Card', scope: 'basic' }, actor);
      const v0 = (await store.getAccountVersion('acme'))!.revision;
      const shared = await store.createContactWithCard('acme', SHARED, prep('Carded'), actor, { name: 'abc.vcf', uid: 'uid-1' });
      const personal = await store.createContactWithCard('acme', { source: 'personal', userId: owner.id }, prep('Mine'), actor, { name: 'mine.vcf', uid: 'uid-2' });
      expect((await store.getAccountVersion('acme'))!.revision).toBe(v0 + 2);
      expect((await store.changesSince('acme', v0))!.changed.sort()).toEqual([shared.id, personal.id].sort());
      expect(await store.findContactIdsByCard('acme', { name: 'abc.vcf' })).toEqual([shared.id]);
      expect(await store.findContactIdsByCard('acme', { uid: 'uid-2' })).toEqual([personal.id]);
      expect(await store.findContactIdsByCard('globex', { uid: 'uid-2' })).toEqual([]);
      // many names in one call (a multiget of an app's own names): unknown names are absent, other accounts' never found
      const many = await store.findContactIdsByCards('acme', 'name', ['abc.vcf', 'mine.vcf', 'nobody.vcf']);
      expect(Object.fromEntries(many)).toEqual({ 'abc.vcf': [shared.id], 'mine.vcf': [personal.id] });
      expect((await store.findContactIdsByCards('globex', 'name', ['abc.vcf'])).size).toBe(0);
      expect((await store.findContactIdsByCards('acme', 'name', [])).size).toBe(0);
      // many UIDs in one call (a group card's members), the same way
      const uids = await store.findContactIdsByCards('acme', 'uid', ['uid-1', 'uid-2', 'abc.vcf', 'nobody']);
      expect(Object.fromEntries(uids)).toEqual({ 'uid-1': [shared.id], 'uid-2': [personal.id] });
      expect((await store.findContactIdsByCards('globex', 'uid', ['uid-1'])).size).toBe(0);
      const names = await store.cardNames('acme', [shared.id, personal.id, 'plain']);
      expect(names).toEqual(new Map([[shared.id, { name: 'abc.vcf', uid: 'uid-1', ownerId: null }], [personal.id, { name: 'mine.vcf', uid: 'uid-2', ownerId: owner.id }]]));
      await store.deleteContact('acme', SHARED, shared.id, actor);
      expect((await store.cardNames('acme', [shared.id])).get(shared.id)).toMatchObject({ name: 'abc.vcf' });
      expect(await store.cardNames('acme', [])).toEqual(new Map());
    });

    it('refuses a card whose name or UID a card of the same book has, writing nothing; other books, deleted cards and plain contacts as the rule says', async () => {
      const dee = await store.createUser('acme', { username: 'dee', name: 'Dee Dupe', scope: 'basic' }, actor);
      const eve = await store.createUser('acme', { username: 'eve', name: 'Eve Else', scope: 'basic' }, actor);
      const DEE = { source: 'personal', userId: dee.id } as const;
      const EVE = { source: 'personal', userId: eve.id } as const;
      const first = await store.createContactWithCard('acme', DEE, prep('First'), actor, { name: 'dup.vcf', uid: 'dup-uid' });
      const v0 = (await store.getAccountVersion('acme'))!.revision;
      const refused = async (scope: typeof DEE | typeof SHARED, card: { name: string; uid: string }, taken: 'name' | 'uid', existing: { contactId: string; name: string }) => {
        const err = await store.createContactWithCard('acme', scope, prep('Refused'), actor, card).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(CardTakenError);
        expect(err).toBeInstanceOf(ConflictError);
        expect(err).toMatchObject({ taken, existing, status: 409 });
      };
      await refused(DEE, { name: 'dup.vcf', uid: 'other-uid' }, 'name', { contactId: first.id, name: 'dup.vcf' });
      await refused(DEE, { name: 'other.vcf', uid: 'dup-uid' }, 'uid', { contactId: first.id, name: 'dup.vcf' });
      await refused(DEE, { name: 'dup.vcf', uid: 'dup-uid' }, 'name', { contactId: first.id, name: 'dup.vcf' }); // the name is checked first
      // a contact without a chosen name is the card "<id>.vcf" with its id as UID
      const plain = await store.createContact('acme', DEE, prep('Plain'), actor);
      const v1 = (await store.getAccountVersion('acme'))!.revision;
      await refused(DEE, { name: `${plain.id}.vcf`, uid: 'fresh-uid' }, 'name', { contactId: plain.id, name: `${plain.id}.vcf` });
      await refused(DEE, { name: 'fresh.vcf', uid: plain.id }, 'uid', { contactId: plain.id, name: `${plain.id}.vcf` });
      await refused(DEE, { name: 'fresh.vcf', uid: first.id }, 'uid', { contactId: first.id, name: 'dup.vcf' });
      // nothing written by a refusal: no revision, no contact, no card name
      expect((await store.getAccountVersion('acme'))!.revision).toBe(v1);
      expect(v1).toBe(v0 + 1);
      expect(await store.findContactIdsByCard('acme', { name: 'other.vcf' })).toEqual([]);
      expect(await store.findContactIdsByCard('acme', { uid: 'other-uid' })).toEqual([]);
      expect(await store.findContactIdsByCard('acme', { uid: 'dup-uid' })).toEqual([first.id]);

      // Another user's personal book, and the shared book, are other books: the same name and UID are free there.
      const eves = await store.createContactWithCard('acme', EVE, prep('Eves'), actor, { name: 'dup.vcf', uid: 'dup-uid' });
      const shared = await store.createContactWithCard('acme', SHARED, prep('Shared'), actor, { name: 'dup.vcf', uid: 'dup-uid' });
      await refused(SHARED, { name: 'x.vcf', uid: 'dup-uid' }, 'uid', { contactId: shared.id, name: 'dup.vcf' });
      // A deleted card frees its name and UID (its name row stays, for sync reports).
      await store.deleteContact('acme', DEE, first.id, actor);
      const again = await store.createContactWithCard('acme', DEE, prep('Again'), actor, { name: 'dup.vcf', uid: 'dup-uid' });
      expect((await store.findContactIdsByCard('acme', { uid: 'dup-uid' })).sort()).toEqual([first.id, eves.id, shared.id, again.id].sort());
    });

    it('creates one card when two instances on one database create the same name or UID at once', async () => {
      const other = await kind.open();
      const fay = await store.createUser('acme', { username: 'fay', name: 'Fay Fast', scope: 'basic' }, actor);
      const FAY = { source: 'personal', userId: fay.id } as const;
      for (const [i, cards] of [
        [{ name: 'same-0.vcf', uid: 'same-0' }, { name: 'same-0.vcf', uid: 'same-0' }], // both
        [{ name: 'same-1.vcf', uid: 'a-1' }, { name: 'same-1.vcf', uid: 'b-1' }], // the name
        [{ name: 'a-2.vcf', uid: 'same-2' }, { name: 'b-2.vcf', uid: 'same-2' }], // the UID
        [{ name: 'a-3.vcf', uid: 'same-3' }, { name: 'b-3.vcf', uid: 'same-3' }, { name: 'c-3.vcf', uid: 'same-3' }, { name: 'd-3.vcf', uid: 'same-3' }],
      ].entries()) {
        const v0 = (await store.getAccountVersion('acme'))!.revision;
        const results = await Promise.allSettled(cards.map((card, j) =>
          (j % 2 === 0 ? store : other).createContactWithCard('acme', i % 2 === 0 ? FAY : SHARED, prep(`Racer${j}`), actor, card)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CardTakenError);
        const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ id: string }>).value;
        const uid = cards[results.findIndex((r) => r.status === 'fulfilled')].uid;
        expect(await store.findContactIdsByCard('acme', { uid })).toEqual([winner.id]);
        expect((await store.getAccountVersion('acme'))!.revision).toBe(v0 + 1);
      }
    });

    it('keeps portal sessions: by hash, touched, re-authenticated, listed per user unexpired, ended one or all', async () => {
      const user = await store.createUser('acme', { username: 'sam', name: 'Sam Session', scope: 'basic' }, actor);
      const at = 1_700_000_000_000;
      const session = (id: string, createdAt: number, expiresAt: number): SessionRecord => ({
        id, tokenHash: `hash-${id}`, accountId: 'acme', userId: user.id, createdAt, authenticatedAt: createdAt, lastSeenAt: createdAt, expiresAt, userAgent: 'test', ip: '192.0.2.1',
      });
      await store.createSession(session('s-old', at - 10_000, at - 5_000));
      await store.createSession(session('s1', at, at + 60_000)); // drops s-old, expired before s1 was made
      expect(await store.findSessionByHash('hash-s-old')).toBeNull();
      await store.createSession(session('s2', at + 1, at + 60_000));
      expect(await store.findSessionByHash('hash-s1')).toEqual(session('s1', at, at + 60_000));
      await store.touchSession('s1', at + 500, at + 90_000);
      await store.markSessionAuthenticated('s1', at + 600);
      expect(await store.findSessionByHash('hash-s1')).toMatchObject({ lastSeenAt: at + 500, expiresAt: at + 90_000, authenticatedAt: at + 600 });
      expect((await store.listUserSessions('acme', user.id, at + 70_000)).map((s) => s.id)).toEqual(['s1']);
      expect((await store.listUserSessions('acme', user.id, at)).map((s) => s.id)).toEqual(['s2', 's1']);
      expect(await store.deleteSession('s1', { accountId: 'acme', userId: 'someone-else' })).toBe(false);
      expect(await store.deleteSession('s1', { accountId: 'acme', userId: user.id })).toBe(true);
      expect(await store.deleteSession('s1')).toBe(false);
      await store.createSession(session('s3', at + 2, at + 60_000));
      expect(await store.deleteUserSessions('acme', user.id)).toBe(2);
      expect(await store.listUserSessions('acme', user.id, at)).toEqual([]);
    });

    it('counts distinct sign-in failures, which leak after the wait they imposed; known sources are remembered', async () => {
      const t = 1_800_000_000_000;
      const first = await store.recordSigninFailure([{ key: 'ip:1', member: 'm1', free: 1 }, { key: 'login:ana', member: 'm1', free: 5 }], t, POLICY);
      expect(first).toEqual([
        { key: 'ip:1', failures: 1, lastAt: t, leakFrom: t + 1000, added: true },
        { key: 'login:ana', failures: 1, lastAt: t, leakFrom: t, added: true },
      ]);
      // the same wrong secret again counts nothing
      expect((await store.recordSigninFailure([{ key: 'ip:1', member: 'm1', free: 1 }], t + 10, POLICY))[0]).toMatchObject({ failures: 1, added: false });
      expect((await store.recordSigninFailure([{ key: 'ip:1', member: 'm2', free: 1 }], t + 20, POLICY))[0]).toMatchObject({ failures: 2, lastAt: t + 20, leakFrom: t + 20 + 2000, added: true });

      const state = await store.signinState(['login:ana', 'ip:1', 'ip:none'], '192.0.2.9', 'ana', t + 20, POLICY.leakMs);
      expect([...state.counts.keys()]).toEqual(['login:ana', 'ip:1']);
      expect(state.counts.get('ip:1')).toEqual({ failures: 2, lastAt: t + 20, leakFrom: t + 2020 });
      expect(state.knownAt).toBeNull();
      // half a leak period after the wait: half a failure gone
      const later = await store.signinState(['ip:1'], '192.0.2.9', 'ana', t + 2020 + POLICY.leakMs / 2, POLICY.leakMs);
      expect(later.counts.get('ip:1')!.failures).toBeCloseTo(1.5);
      // leaked away entirely: the counter and its members are forgotten, so m1 counts again
      const gone = t + 2020 + 3 * POLICY.leakMs;
      expect((await store.signinState(['ip:1'], 'x', 'y', gone, POLICY.leakMs)).counts.size).toBe(0);
      expect((await store.recordSigninFailure([{ key: 'ip:1', member: 'm1', free: 1 }], gone, POLICY))[0]).toMatchObject({ failures: 1, added: true });

      await store.recordSigninSuccess('192.0.2.9', 'ana', t + 100, 0);
      await store.recordSigninSuccess('192.0.2.9', 'ana', t + 50, 0); // an older report does not move it back
      expect((await store.signinState([], '192.0.2.9', 'ana', t + 200, POLICY.leakMs)).knownAt).toBe(t + 100);
    });

    it('shares sign-in counters between instances on one database: each sees every failure, none lost when they record at once', async () => {
      const other = await kind.open();
      const t = 1_900_000_000_000;
      const members = Array.from({ length: 20 }, (_, i) => `wrong-${i}`);
      // 20 distinct failures recorded through two instances at once, all on one key
      await Promise.all(members.map((m, i) => (i % 2 === 0 ? store : other).recordSigninFailure([{ key: 'ip:shared', member: m, free: 100 }], t, POLICY)));
      for (const s of [store, other]) {
        expect((await s.signinState(['ip:shared'], 'x', 'y', t, POLICY.leakMs)).counts.get('ip:shared')!.failures).toBe(20);
      }
      // a member counted through one instance is known to the other
      expect((await other.recordSigninFailure([{ key: 'ip:shared', member: 'wrong-0', free: 100 }], t, POLICY))[0]).toMatchObject({ failures: 20, added: false });
      await other.recordSigninSuccess('192.0.2.7', 'bo', t, 0);
      expect((await store.signinState([], '192.0.2.7', 'bo', t, POLICY.leakMs)).knownAt).toBe(t);
    });
  });
}
