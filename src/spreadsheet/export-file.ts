// What one export is, for both sides of the thread line: the options asked for and the file made.
// Here and not in export-service.ts, so that export-thread.ts can name them without importing the
// service that imports it.

export type ExportFormat = 'csv' | 'xlsx' | 'vcf';

export interface ExportOptions { format: ExportFormat; group?: string }

export interface ExportFile {
  filename: string;
  contentType: string;
  body: Buffer;
  count: number;
}
