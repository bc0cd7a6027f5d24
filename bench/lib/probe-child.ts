// The phone probe and an app's big request from another process (issue 19: "measure with a
// probe in its own process"): in the bench's own process the probe cannot even send while the
// server holds the event loop, and the app's client (reading 5 MB) runs on the server's loop.
// Here both are a separate process, as phones and apps are. Driven over IPC by the parent:
//   { kind: 'idle', ms }             -> { probe }                  the probe alone for ms
//   { kind: 'round', url, headers, method, body } -> { status, bytes, seconds, answer, probe }
//   { kind: 'phones', ... }          -> { started: true }, then on { kind: 'stop' } -> { phones }
// 'phones' is issue 24's probe: phones that each hold a bound connection for 25 searches, then
// connect again (through HAProxy, maybe to another instance), searching caller-ID numbers and
// name prefixes in turn (sizeLimit 50) until told to stop; every search's start, latency (a
// reconnection and bind included) and outcome comes back. A failed search drops the connection.
import ldap from 'ldapjs';
import { probe, secs, type Probe } from './phone-probe.ts';

const ports = { ldapPort: Number(process.env.PROBE_LDAP_PORT), httpPort: Number(process.env.PROBE_HTTP_PORT) };

export interface PhonesAsk {
  kind: 'phones';
  ldapPort: number;
  /** o=<account>,dc=dialbook */
  account: string;
  user: string;
  password: string;
  /** Phones searching at once. */
  phones: number;
  /** Contacts in the account: caller-ID searches ask for lines 0..contacts-1 (fake-contacts.ts numbers). */
  contacts: number;
}

/** One search: ms since the probe started, its latency in ms, caller-ID or name, and what went wrong (null: answered). */
export type PhoneSearch = [startMs: number, ms: number, kind: 'caller-id' | 'name', failure: string | null];

type Ask =
  | { kind: 'idle'; ms: number }
  | { kind: 'round'; url: string; method: string; headers: Record<string, string>; body: string }
  | PhonesAsk
  | { kind: 'stop' };

let stopPhones: (() => void) | null = null;

/** First names every fake contact has one of (fake-contacts.ts): each prefix finds entries by cn. */
const NAME_PREFIXES = ['jam', 'mar', 'lin', 'che', 'fat', 'oli', 'zo', 'ahm', 'sof', 'lia', 'ing', 'ken', 'ama', 'noa', 'él'];
/** Searches per connection: then the phone connects again (through a load balancer: maybe elsewhere). */
const SEARCHES_PER_CONNECTION = 25;

/** A phone's connection, bound. */
function connect(ask: PhonesAsk): Promise<ldap.Client> {
  return new Promise((resolve, reject) => {
    const client = ldap.createClient({ url: `ldap://127.0.0.1:${ask.ldapPort}`, connectTimeout: 10_000, timeout: 30_000, reconnect: false });
    client.on('error', (err: Error) => reject(err));
    client.on('connectError', (err: Error) => reject(err));
    client.bind(`cn=${ask.user},o=${ask.account},dc=dialbook`, ask.password, (err) => (err ? reject(err) : resolve(client)));
  });
}

/** One search: resolves with the entries found (sizeLimit 50, as phones ask), rejects with why not. */
function search(client: ldap.Client, ask: PhonesAsk, filter: string): Promise<number> {
  return new Promise((resolve, reject) => {
    client.search(`o=${ask.account},dc=dialbook`, { scope: 'sub', filter, attributes: ['cn', 'telephoneNumber'], sizeLimit: 50 }, (err, res) => {
      if (err) return reject(err);
      let n = 0;
      res.on('searchEntry', () => n++);
      // sizeLimitExceeded (4) after the 50 asked for is an answer
      res.on('error', (e: Error & { code?: number }) => (e.code === 4 ? resolve(n) : reject(e)));
      res.on('end', (r) => (r && r.status !== 0 && r.status !== 4 ? reject(new Error(`LDAP status ${r.status}`)) : resolve(n)));
    });
  });
}

async function phones(ask: PhonesAsk): Promise<PhoneSearch[]> {
  let done = false;
  stopPhones = () => { done = true; };
  const t0 = process.hrtime.bigint();
  const out: PhoneSearch[] = [];
  let i = 0;
  const phone = async () => {
    let client: ldap.Client | null = null;
    let used = 0;
    const drop = () => {
      client?.unbind(() => undefined);
      client?.destroy();
      client = null;
    };
    while (!done) {
      const n = i++;
      const callerId = n % 2 === 0;
      const prefix = NAME_PREFIXES[(n >> 1) % NAME_PREFIXES.length];
      const filter = callerId
        ? `(telephoneNumber=*${String(1_000_000 + ((n * 7919) % ask.contacts)).slice(-7)})`
        : `(|(cn=${prefix}*)(sn=${prefix}*))`;
      // a (re)connection and its bind count in the search that needed it, as a phone waits for them
      const start = secs(t0) * 1000;
      let failure: string | null = null;
      try {
        if (used >= SEARCHES_PER_CONNECTION) drop();
        if (!client) {
          client = await connect(ask);
          used = 0;
        }
        used++;
        const found = await search(client, ask, filter);
        if (found === 0) failure = 'nothing found';
      } catch (err) {
        failure = (err as Error).message.slice(0, 80);
        drop();
      }
      out.push([start, secs(t0) * 1000 - start, callerId ? 'caller-id' : 'name', failure]);
      // a failed connection is not retried in a tight loop
      if (failure && !client) await new Promise((r) => setTimeout(r, 10));
    }
    drop();
  };
  await Promise.all(Array.from({ length: ask.phones }, phone));
  return out;
}

let phonesRun: Promise<PhoneSearch[]> | null = null;

process.on('message', (ask: Ask) => {
  void (async () => {
    if (ask.kind === 'phones') {
      phonesRun = phones(ask);
      process.send!({ started: true });
      return;
    }
    if (ask.kind === 'stop') {
      stopPhones?.();
      process.send!({ phones: await phonesRun });
      return;
    }
    if (ask.kind === 'idle') {
      process.send!({ probe: await probe(ports, new Promise((r) => setTimeout(r, ask.ms))) });
      return;
    }
    const t = process.hrtime.bigint();
    const answering = fetch(ask.url, { method: ask.method, headers: ask.headers, body: ask.body }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const during: Promise<Probe> = probe(ports, answering);
    const { status, text } = await answering;
    const seconds = secs(t);
    process.send!({ status, bytes: text.length, seconds, cards: (text.match(/<d:response>/g) ?? []).length, probe: await during });
  })().catch((err: unknown) => {
    process.send!({ error: String(err) });
  });
});
process.on('disconnect', () => process.exit(0));
