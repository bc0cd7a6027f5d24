// The stress run's sign-in bystander phases (issues #21 and #23). officeSimulated drives the real
// limiter over a real SQLite file with a simulated clock, so an hour of phones takes a second, and
// prints refusals, database reads and the cost of a decision; officeServer sends 50 phones' fetches
// from one loopback address, one phone with a stale password, to the running server.
import { join } from 'node:path';
import { SigninLimiter, type SigninLimits } from '../../src/auth/signin-limiter.ts';
import { openSqliteAsyncStore } from '../../src/store/sqlite/sqlite-async-store.ts';
import { Registry } from 'prom-client';

const HOUR = 3_600_000;

export async function officeSimulated(workDir: string, limits: SigninLimits): Promise<void> {
  const store = openSqliteAsyncStore(join(workDir, 'signin-sim.db'));
  try {
    const clock = { now: Date.now() };
    const metrics = new Registry();
    const limiter = new SigninLimiter(store, limits, { clock: () => clock.now, metrics });
    const check = async (source: string, login: string, secret: string, right: boolean) => {
      const a = await limiter.attempt({ kind: 'phonebook', source, login, secret });
      if (a.allowed) await (right ? a.succeeded() : a.failed());
      return a;
    };
    const value = async (name: string, label: string, v: string) => ((await metrics.getSingleMetric(name)?.get())?.values ?? []).filter((x) => x.labels[label] === v).reduce((s, x) => s + x.value, 0);

    // 50 phones behind one address, each fetching and binding once a minute; phone 0 is stale
    const t0 = clock.now;
    let refusedGood = 0;
    let decisions = 0;
    const took = { good: 0, goodN: 0, stale: 0, staleN: 0 };
    for (let minute = 0; minute < 60; minute++) {
      for (let phone = 0; phone < 50; phone++) {
        clock.now = t0 + minute * 60_000 + phone * 1000;
        for (let k = 0; k < 2; k++, decisions++) {
          const t = performance.now();
          const allowed = (await check('198.51.100.20', 'phones@stress', phone === 0 ? 'old password' : 'stress-password', phone !== 0)).allowed;
          const us = (performance.now() - t) * 1000;
          if (phone === 0) { took.stale += us; took.staleN++; } else { took.good += us; took.goodN++; if (!allowed) refusedGood++; }
        }
      }
    }
    const [reads, memo] = await Promise.all([value('dialbook_signin_checks_total', 'via', 'store'), value('dialbook_signin_checks_total', 'via', 'memo')]);
    console.log(`sign-in office (simulated hour): 50 phones behind one address, one with a stale password every 60 s: ${refusedGood} refusals for the other 49 ` +
      `(${decisions} decisions: ${reads} read the database, ${memo} from memory; a right password ${(took.good / took.goodN).toFixed(1)} µs, ` +
      `the stale one (its failure written) ${(took.stale / took.staleN).toFixed(1)} µs, with SQLite)`);

    // one address, 1,000 different passwords on one login; then spread over 100 logins
    const firstHour = async (login: (i: number) => string, source: string) => {
      const start = clock.now;
      let checked = 0;
      for (let i = 0; clock.now < start + HOUR;) {
        const a = await check(source, login(i), `guess ${i}`, false);
        if (a.allowed) { checked++; i++; } else clock.now += a.retryAfterSeconds * 1000;
      }
      return checked;
    };
    clock.now += HOUR;
    const one = await firstHour(() => 'olivia@stress', '203.0.113.7');
    const spread = await firstHour((i) => `user${i % 100}@stress`, '203.0.113.8');
    console.log(`  guessing from one address, first hour: ${one} passwords checked on one login; ${spread} checked when spread over 100 logins`);

    // 56 guesses from 7 addresses at the phone login (waiting out Retry-After), then who gets in
    clock.now += HOUR;
    await check('198.51.100.30', 'phones@acme', 'right', true);
    const waits: number[] = [];
    for (let n = 0; n < 56; n++) {
      let a = await check(`203.0.113.${1 + Math.floor(n / 8)}`, 'phones@acme', `guess ${n}`, false);
      if (!a.allowed) {
        waits.push(a.retryAfterSeconds);
        clock.now += a.retryAfterSeconds * 1000;
        a = await check(`203.0.113.${1 + Math.floor(n / 8)}`, 'phones@acme', `guess ${n}`, false);
      }
    }
    const known = await check('198.51.100.30', 'phones@acme', 'right', true);
    const fresh = await check('192.0.2.77', 'phones@acme', 'right', true);
    console.log(`  56 guesses from 7 addresses at phones@acme (waits ${waits.join(', ')} s): known office ${known.allowed ? 'signs in' : `REFUSED ${known.retryAfterSeconds} s`}, ` +
      `a new address ${fresh.allowed ? 'signs in' : `waits ${fresh.retryAfterSeconds} s`}`);
  } finally {
    await store.close();
  }
}

interface Answer { status: number; ms: number }

/** 50 phones behind one loopback address fetch their phonebook in 10 rounds; phone 0 is stale. */
export async function officeServer(fetch: (from: string, password: string) => Promise<Answer>, password: string): Promise<void> {
  const from = '127.0.0.20';
  const good: Answer[] = [];
  const stale: Answer[] = [];
  for (let round = 0; round < 10; round++) {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, phone) => fetch(from, phone === 0 ? 'stale password' : password)));
    stale.push(answers[0]);
    good.push(...answers.slice(1));
  }
  const refused = good.filter((a) => a.status !== 200).length;
  const ms = good.map((a) => a.ms).sort((a, b) => a - b);
  console.log(`sign-in office (server): 50 phones from one address x 10 rounds, one stale: ${refused} of ${good.length} good fetches not 200; ` +
    `stale phone answered ${[...new Set(stale.map((a) => a.status))].join('/')}; good fetches p50 ${ms[Math.floor(ms.length / 2)].toFixed(0)} ms, p99 ${ms[Math.floor(ms.length * 0.99)].toFixed(0)} ms`);
}
