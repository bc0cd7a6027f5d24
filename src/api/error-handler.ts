// Renders every error of the HTTP side (admin API, imports, portal) as { error: { code, message,
// details } }, in one place; what the answer says comes from the one error model (error-answer.ts).
// Whatever broke (a hostile body, a parser, the disk), the answer is this JSON shape and never a
// stack, a file path or express's HTML page; details echo at most a small, bounded part of the input.
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { clip, errorAnswer, type ErrorAnswer } from '../error-answer.ts';
import type { ErrorDetail } from '../errors.ts';

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const a = errorAnswer(err);
    if (a.status >= 500) logger.error({ err, reqId: req.id }, 'request failed');
    // a refusal with an internal failure behind it (an upload a library could not read): the
    // client gets a plain reason, the log gets the failure
    else if (a.error.cause !== undefined) logger.warn({ err: a.error.cause, reqId: req.id }, `request refused (${a.status}) after an internal failure`);
    if (res.headersSent) {
      // Part of a body went out already: cut the connection so the client sees a broken
      // response instead of a silently truncated one.
      res.destroy();
      return;
    }
    sendError(res, a);
  };
}

/** Writes one error response; never throws (a body that cannot be serialised loses its details). */
export function sendError(res: Response, a: ErrorAnswer): void {
  if (a.status === 401 && !res.getHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="dialbook"');
  for (const [name, value] of Object.entries(a.headers)) res.setHeader(name, value);
  res.status(a.status).type('application/json').send(jsonErrorBody(a));
}

/** The JSON error shape { error: { code, message, details } } every HTTP error of ours has. */
export function jsonErrorBody(a: Pick<ErrorAnswer, 'code' | 'message' | 'details'>): string {
  try {
    return errorBody(a);
  } catch {
    return JSON.stringify({ error: { code: a.code, message: a.message, details: [] } });
  }
}

/**
 * An error body is at most ERROR_BODY_BYTES: details are kept while they fit, then one detail
 * says how many more there were. A hostile request (many long invalid fields) must not get back
 * more than a small answer. The exception is a file's row report (details with a row number, at
 * most 1,000 rows of clipped values, the import's whole point): it is sent whole.
 */
function errorBody(a: Pick<ErrorAnswer, 'code' | 'message' | 'details'>): string {
  const message = a.message;
  const details = a.details.slice(0, MAX_DETAILS).map(boundedDetail);
  const render = (ds: ErrorDetail[]) => JSON.stringify({ error: { code: a.code, message, details: ds } });
  if (details.some((d) => d.row !== undefined)) return render(details);
  let body = render(details);
  if (Buffer.byteLength(body) <= ERROR_BODY_BYTES) return body;
  const kept: ErrorDetail[] = [];
  for (const d of details) {
    const next = render([...kept, d, { reason: `and ${details.length - kept.length - 1} more problems` }]);
    if (Buffer.byteLength(next) > ERROR_BODY_BYTES) break;
    kept.push(d);
  }
  body = render([...kept, { reason: `and ${details.length - kept.length} more problems` }]);
  return Buffer.byteLength(body) <= ERROR_BODY_BYTES ? body : render([{ reason: `${details.length} problems (too long to list)` }]);
}

/** What an error answer may weigh (issue: no error body over 4 KB, whatever the request held). */
export const ERROR_BODY_BYTES = 4096;

/** A safety net: producers bound their lists (an import reports up to 1,000 bad rows, plus a summary). */
const MAX_DETAILS = 2000;

/** The offending value, cut down: a 7,000-deep or 1 MB input must not be echoed back whole. */
function boundedDetail(d: ErrorDetail): ErrorDetail {
  const reason = clip(d.reason, 1000);
  return d.value === undefined ? { ...d, reason } : { ...d, reason, value: bounded(d.value, 2) };
}

function bounded(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return clip(v, 200);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v !== 'object') return undefined;
  if (depth === 0) return Array.isArray(v) ? '[array]' : '[object]';
  if (Array.isArray(v)) return v.slice(0, 10).map((x) => bounded(x, depth - 1));
  // fromEntries defines own keys, so a "__proto__" key in the input stays a plain key
  return Object.fromEntries(Object.keys(v).slice(0, 10).map((k) => [clip(k, 50), bounded((v as Record<string, unknown>)[k], depth - 1)]));
}

