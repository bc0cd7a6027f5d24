// The phone probe and an app's big request from another process (issue 19: "measure with a
// probe in its own process"): in the bench's own process the probe cannot even send while the
// server holds the event loop, and the app's client (reading 5 MB) runs on the server's loop.
// Here both are a separate process, as phones and apps are. Driven over IPC by the parent:
//   { kind: 'idle', ms }             -> { probe }                  the probe alone for ms
//   { kind: 'round', url, headers, method, body } -> { status, bytes, seconds, answer, probe }
import { probe, secs, type Probe } from './phone-probe.ts';

const ports = { ldapPort: Number(process.env.PROBE_LDAP_PORT), httpPort: Number(process.env.PROBE_HTTP_PORT) };

type Ask =
  | { kind: 'idle'; ms: number }
  | { kind: 'round'; url: string; method: string; headers: Record<string, string>; body: string };

process.on('message', (ask: Ask) => {
  void (async () => {
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
