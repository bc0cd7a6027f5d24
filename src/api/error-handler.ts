// Renders every error of the HTTP side as { error: { code, message, details } }, in one place.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toAppError(err);
    if (e.status >= 500) logger.error({ err, reqId: req.id }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (e.status === 401 && !res.getHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="dialbook"');
    res.status(e.status).json({ error: { code: e.code, message: e.message, details: e.details } });
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; message?: string; code?: string };
  // body-parser and multer errors carry a status of their own
  if (e?.type === 'entity.too.large' || e?.code === 'LIMIT_FILE_SIZE') return new AppError(413, 'payload_too_large', 'The request body is too large');
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'invalid_json', `The request body is not valid JSON: ${e.message}`);
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new AppError(415, 'unsupported_media_type', e.message ?? 'Unsupported encoding');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new AppError(e.status, 'bad_request', e.message ?? 'Bad request');
  return new AppError(500, 'internal_error', 'Internal server error');
}
