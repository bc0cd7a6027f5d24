// The change-hint channel: LISTEN on a connection of its own (never a pooled one: a pool hands
// the connection back and the LISTEN goes with it; node-postgres #967), reconnecting forever.
// node-postgres does not notice a server that vanished without closing the socket
// (node-postgres #3003), so a keepalive query runs on the connection and a failure reconnects.
// Every (re)connect is reported as a 'connected' hint: notifications sent meanwhile are lost for
// good, and the follower catches up by revision.
import pg from 'pg';
import type { ChangeHint, ChangeWatch } from '../async-store.ts';

export const CHANGE_CHANNEL = 'dialbook_changes';

export interface ListenerOptions {
  /** Wait before reconnect attempt n (1, 2, ...). Default: 100 ms doubling to 5 s. Tests pass a gate. */
  reconnectDelay?: (attempt: number) => Promise<void>;
  /** Keepalive query period in ms (0: none). */
  keepaliveMs?: number;
}

const defaultDelay = (attempt: number) => new Promise<void>((r) => setTimeout(r, Math.min(5000, 100 * 2 ** (attempt - 1))).unref());

/** Parses "accountId:revision" (the NOTIFY payload; account ids are slugs, never contain ':'). */
export function parseHint(payload: string | undefined): ChangeHint | null {
  const at = payload?.lastIndexOf(':') ?? -1;
  if (!payload || at <= 0) return null;
  const revision = Number(payload.slice(at + 1));
  return Number.isSafeInteger(revision) ? { kind: 'changed', accountId: payload.slice(0, at), revision } : null;
}

export async function listen(config: pg.ClientConfig, onHint: (hint: ChangeHint) => void, opts: ListenerOptions = {}): Promise<ChangeWatch> {
  const delay = opts.reconnectDelay ?? defaultDelay;
  let client: pg.Client | null = null;
  let connected = false;
  let closed = false;
  let keepalive: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ ...config, application_name: 'dialbook-listener', keepAlive: true });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.on('notification', (msg) => {
      const hint = msg.channel === CHANGE_CHANNEL ? parseHint(msg.payload) : null;
      if (hint) onHint(hint);
    });
    await c.connect();
    await c.query(`LISTEN ${CHANGE_CHANNEL}`);
    if (closed) {
      await c.end();
      return;
    }
    client = c;
    connected = true;
    onHint({ kind: 'connected' });
  };

  let reconnecting = false;
  const lost = (c: pg.Client) => {
    if (c !== client || closed) return;
    client = null;
    connected = false;
    c.end().catch(() => {});
    if (!reconnecting) void reconnect();
  };
  const reconnect = async () => {
    reconnecting = true;
    for (let attempt = 1; !closed; attempt++) {
      await delay(attempt);
      if (closed) break;
      try {
        await connect();
        break;
      } catch { /* try again */ }
    }
    reconnecting = false;
  };

  await connect();
  if (opts.keepaliveMs) {
    keepalive = setInterval(() => {
      const c = client;
      if (c) c.query('SELECT 1').catch(() => lost(c));
    }, opts.keepaliveMs);
    keepalive.unref();
  }
  return {
    get connected() { return connected; },
    close: async () => {
      closed = true;
      if (keepalive) clearInterval(keepalive);
      const c = client;
      client = null;
      connected = false;
      await c?.end().catch(() => {});
    },
  };
}
