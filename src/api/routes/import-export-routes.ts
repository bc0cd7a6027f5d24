// Spreadsheet routes under /accounts/:account/contacts: POST /import (multipart upload or a raw
// CSV/XLSX body; managers of shared contacts only) and GET /export (any member of the account).
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { AppContext } from '../../app-context.ts';
import { ForbiddenError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../errors.ts';
import { exportContacts } from '../../spreadsheet/export-service.ts';
import { importOptionsSchema } from '../../spreadsheet/import-job.ts';
import { runImport } from '../../spreadsheet/import-service.ts';
import { accountOf, actorOf, canManageShared, principalOf } from '../principal.ts';
import { declare } from '../route-spec.ts';

const PREFIX = '/accounts/{account}/contacts';
const TAG = 'spreadsheet import and export';

export const exportQuerySchema = z.object({
  format: z.enum(['csv', 'xlsx', 'vcf']).default('csv').describe('File format'),
  group: z.string().trim().min(1).max(64).optional().describe('Only contacts of this group'),
}).strict();

export function importExportRoutes(ctx: AppContext): Router {
  const router = Router({ mergeParams: true });
  const maxBytes = ctx.config.import.maxUploadBytes;
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBytes, files: 1, fields: 20 } });
  const rawBody = express.raw({ type: () => true, limit: maxBytes });

  // The permission is checked before the body is read: a basic user's upload is not buffered.
  const mayImport = (req: Request, _res: Response, next: NextFunction) => {
    next(canManageShared(principalOf(req), accountOf(req)) ? undefined : new ForbiddenError('Your role may not change shared contacts in this account'));
  };
  const readBody = (req: Request, res: Response, next: NextFunction) =>
    (req.is('multipart/form-data') ? upload.any() : rawBody)(req, res, (err?: unknown) => next(err && uploadError(err)));

  router.post('/import', mayImport, readBody);
  declare(router, PREFIX, { method: 'post', path: '/import', summary: 'Import a CSV or XLSX file (multipart field "file", or the raw file as the body); options as query or form fields', permission: 'manager', query: importOptionsSchema, tag: TAG },
    async (req) => {
      const { buf, type } = uploadedFile(req);
      const options = { ...formFields(req), ...(req.query as Record<string, unknown>) };
      return runImport(ctx, accountOf(req), buf, type, options, actorOf(req));
    });

  declare(router, PREFIX, { method: 'get', path: '/export', summary: 'Download the shared contacts as CSV (the import template), XLSX or vCard', permission: 'member', query: exportQuerySchema, tag: TAG },
    async (req, res, { query }) => {
      const file = await exportContacts(ctx, accountOf(req), query);
      res.setHeader('Content-Type', file.contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${file.filename.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`);
      res.setHeader('X-Contact-Count', String(file.count));
      res.setHeader('Cache-Control', 'no-store');
      res.send(file.body);
    });
  return router;
}

/** multer and busboy errors carry no HTTP status of their own. */
function uploadError(err: unknown): unknown {
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') return new PayloadTooLargeError(`The file is larger than the upload limit (import.maxUploadBytes)`);
    return new ValidationError(`Bad upload: ${err.message}`, [{ field: err.field, reason: err.message }]);
  }
  const e = err as { status?: number; type?: string; message?: string };
  if (typeof e?.status === 'number' || e?.type) return err;
  return new ValidationError(`Bad upload: ${e?.message ?? 'unreadable multipart body'}`, [{ reason: e?.message ?? 'unreadable multipart body' }]);
}

function uploadedFile(req: Request): { buf: Buffer; type: string | null } {
  if (req.is('multipart/form-data')) {
    const files = (req.files as Express.Multer.File[] | undefined) ?? [];
    const file = files[0];
    if (!file) throw new ValidationError('The upload has no file: send it in the form field "file"', [{ field: 'file', reason: 'missing' }]);
    return { buf: file.buffer, type: file.mimetype === 'application/octet-stream' ? null : file.mimetype };
  }
  if (req.body === undefined) throw new ValidationError('The request has no file: send CSV or XLSX as the body or as the form field "file"', [{ field: 'file', reason: 'missing' }]);
  if (!Buffer.isBuffer(req.body)) {
    // express.json() upstream already consumed a JSON body
    throw new UnsupportedMediaTypeError(`${req.headers['content-type'] ?? 'This body'} is not a spreadsheet: send CSV (text/csv) or XLSX`);
  }
  const type = req.headers['content-type'] ?? null;
  return { buf: req.body, type: type && /^application\/octet-stream/i.test(type) ? null : type };
}

/** Options sent as multipart form fields (the query string wins when both are given). */
function formFields(req: Request): Record<string, unknown> {
  if (!req.is('multipart/form-data') || !req.body || Buffer.isBuffer(req.body)) return {};
  return { ...(req.body as Record<string, unknown>) };
}
