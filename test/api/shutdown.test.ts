// Stopping: a request already in flight completes; new connections are refused; the database
// is closed only after in-flight work is done.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { seedAccount, startTestServer } from '../helpers/test-server.ts';

describe('graceful stop', () => {
  it('finishes an in-flight write, then refuses new connections', async () => {
    const srv = await startTestServer();
    const { tokens } = await seedAccount(srv.ctx, { id: 'acme', users: [{ username: 'olivia', scope: 'office_manager' }] });
    const port = Number(new URL(srv.httpUrl).port);
    const body = JSON.stringify({ company: 'Late Arrival Ltd', workNumber: '2125550100' });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1', port, method: 'POST', path: '/api/v1/accounts/acme/contacts',
        headers: { Authorization: `Bearer ${tokens.olivia}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      }, (res) => {
        let text = '';
        res.on('data', (d) => { text += String(d); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      // half the body now: the request is in flight when the stop begins
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = srv.close();
    const res = await response;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).company).toBe('Late Arrival Ltd');
    await stopped;
    await expect(fetch(`${srv.httpUrl}/healthz`)).rejects.toThrow();
  });
});
