import pino, { type Logger } from 'pino';

/** JSON logs; secrets and keys are redacted wherever they appear in logged objects. */
export function createLogger(level: string, name = 'hookflow'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['secret', '*.secret', 'key', '*.key', 'secret_enc', '*.secret_enc', 'previous_secret_enc', '*.previous_secret_enc', 'headers.authorization', 'req.headers.authorization', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  });
}
