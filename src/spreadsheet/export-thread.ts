// The export worker thread, seen from the main thread: a job thread (src/jobs/) makes one
// export file at a time from a store of its own, opened read-only from the database's locator,
// so a large export never holds up phones; the file's bytes are moved back, not copied.
import { JobThread } from '../jobs/job-thread.ts';
import type { StoreLocator } from '../store/async-store.ts';
import type { ExportFile, ExportOptions } from './export-file.ts';

export interface ExportRequest { locator: StoreLocator; accountId: string; opts: ExportOptions }
export interface ExportReply { filename: string; contentType: string; body: Uint8Array; count: number }

/**
 * Exports waiting beyond this are refused (503, Retry-After): each one reads a whole account into
 * memory when its turn comes, and a client that asks again and again must not queue up work and
 * answers without end.
 */
export const MAX_WAITING_EXPORTS = 8;

const thread = new JobThread<ExportRequest, ExportReply>(import.meta.url, './export-worker', { name: 'export', maxWaiting: MAX_WAITING_EXPORTS });

/** True while the export worker is making a file. */
export function exportRunning(): boolean {
  return thread.running;
}

export async function runExportThread(locator: StoreLocator, accountId: string, opts: ExportOptions): Promise<ExportFile> {
  const r = await thread.run({ locator, accountId, opts });
  return { ...r, body: Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength) };
}
