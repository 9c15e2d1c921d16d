import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * pino logs; secrets and keys are redacted wherever they appear in logged objects. `pretty`
 * (development, `npm start`) prints one readable line per entry instead of JSON, synchronously
 * in this thread (no transport worker), so a crash still shows its last lines.
 */
export function createLogger(level: string, name = 'hookflow', opts: { pretty?: boolean } = {}): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: [
        'secret',
        '*.secret',
        'key',
        '*.key',
        'secret_enc',
        '*.secret_enc',
        'previous_secret_enc',
        '*.previous_secret_enc',
        'headers.authorization',
        'req.headers.authorization',
        'apiKey',
        '*.apiKey',
      ],
      censor: '[redacted]',
    },
  };
  if (!opts.pretty) return pino(options);
  return pino(
    options,
    pretty({
      singleLine: true,
      colorize: Boolean(process.stdout.isTTY),
      ignore: 'pid,hostname,name',
      translateTime: 'HH:MM:ss.l',
      sync: true,
    }),
  );
}
