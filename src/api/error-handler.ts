// Renders every error of the HTTP side as { error: { code, message, details } }, in one place.
// Whatever broke (a hostile body, a parser, the disk), the answer is this JSON shape and never a
// stack, a file path or express's HTML page; details echo at most a small, bounded part of the input.
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { AppError, storageFailure, type ErrorDetail } from '../errors.ts';

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toAppError(err);
    if (e.status >= 500) logger.error({ err, reqId: req.id }, 'request failed');
    // a refusal with an internal failure behind it (an upload a library could not read): the
    // client gets a plain reason, the log gets the failure
    else if (e.cause !== undefined) logger.warn({ err: e.cause, reqId: req.id }, `request refused (${e.status}) after an internal failure`);
    if (res.headersSent) {
      // Part of a body went out already: cut the connection so the client sees a broken
      // response instead of a silently truncated one.
      res.destroy();
      return;
    }
    sendError(res, e);
  };
}

/** Writes one error response; never throws (a body that cannot be serialised loses its details). */
export function sendError(res: Response, e: AppError): void {
  if (e.status === 401 && !res.getHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="dialbook"');
  if (e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
  let body: string;
  try {
    body = errorBody(e);
  } catch {
    body = JSON.stringify({ error: { code: e.code, message: clip(e.message, 500), details: [] } });
  }
  res.status(e.status).type('application/json').send(body);
}

/**
 * An error body is at most ERROR_BODY_BYTES: details are kept while they fit, then one detail
 * says how many more there were. A hostile request (many long invalid fields) must not get back
 * more than a small answer. The exception is a file's row report (details with a row number, at
 * most 1,000 rows of clipped values, the import's whole point): it is sent whole.
 */
function errorBody(e: AppError): string {
  const message = clip(e.message, 500);
  const details = e.details.slice(0, MAX_DETAILS).map(boundedDetail);
  const render = (ds: ErrorDetail[]) => JSON.stringify({ error: { code: e.code, message, details: ds } });
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

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const stored = storageFailure(err);
  if (stored) return stored;
  const e = err as { type?: string; status?: number; message?: string; code?: string; expose?: boolean };
  // body-parser and multer errors carry a status of their own
  if (e?.type === 'entity.too.large' || e?.code === 'LIMIT_FILE_SIZE') return new AppError(413, 'payload_too_large', 'The request body is too large');
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'invalid_json', `The request body is not valid JSON: ${clip(String(e.message), 200)}`);
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new AppError(415, 'unsupported_media_type', clip(e.message ?? 'Unsupported encoding', 200));
  if (err instanceof URIError) return new AppError(400, 'bad_request', 'The request contains malformed percent-encoding (%XX)');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    // http-errors mark messages safe to show with `expose`; others may carry internals.
    return new AppError(e.status, 'bad_request', e.expose && e.message ? clip(e.message, 200) : 'Bad request');
  }
  return new AppError(500, 'internal_error', 'Internal server error');
}

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

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s);
