// Structured JSON logs. Credentials never reach a log line: auth headers, cookies and any field
// named like a secret are redacted.
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'dialbook' },
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
        '*.password', '*.token', '*.adminToken', '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
