// Small helpers shared by the spreadsheet end-to-end tests.
import { readFileSync } from 'node:fs';
import request from 'supertest';

export const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
export const fixture = (name: string) => readFileSync(new URL(`../../fixtures/import/${name}`, import.meta.url));

/** Collects a response body as bytes whatever its type (xlsx, csv with BOM). */
export function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

export async function download(url: string, path: string, token: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const res = await request(url).get(path).set(bearer(token)).buffer(true).parse(binary);
  return { status: res.status, headers: res.headers as Record<string, string>, body: res.body as Buffer };
}

export function upload(url: string, account: string, token: string, file: Buffer, filename: string, fields: Record<string, string> = {}) {
  let req = request(url).post(`/api/v1/accounts/${account}/contacts/import`).set(bearer(token));
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  return req.attach('file', file, filename);
}
