// Who may read /metrics, the one rule for both places that serve it (the HTTP ports, src/http/app.ts,
// and the separate metrics listener, src/server.ts): with metrics.token set, only a request that
// sends `Authorization: Bearer <token>`; without one, anyone who reaches the listener (the HTTP
// ports then do not serve /metrics at all, which is their routing, not this rule).
import { sameSecret } from './api-tokens.ts';

/** The challenge a refused scrape gets (WWW-Authenticate). */
export const METRICS_CHALLENGE = 'Bearer realm="metrics"';

export function metricsAuthorized(authorization: string | undefined, token: string | null): boolean {
  if (!token) return true;
  const m = /^Bearer (.+)$/.exec(authorization ?? '');
  return m !== null && sameSecret(m[1], token);
}
