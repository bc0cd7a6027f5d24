// The client address every HTTP front end uses for sign-in limits and allow-lists: express's
// req.ip, which honours the `http.trustProxy` setting (X-Forwarded-For only from trusted proxies),
// so the admin API, the portal and the phonebooks count the same source the same way.
import type { Request } from 'express';

export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}
