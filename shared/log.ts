// The only file that imports pino. Logs are JSON lines on stderr, so stdout stays the command's
// machine-readable output.
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  name?: string;
  /** Destination file descriptor; defaults to 2 (stderr). */
  fd?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      timestamp: pino.stdTimeFunctions.isoTime,
      // State files hold secrets in clear text (docs/design/iac-extraction.md#secrets-in-state); tokens too.
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'attributes', '*.attributes'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that drops everything: for library callers and tests that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
