/** A minimal levelled logger to stderr. Never given secrets: callers log names, never keys. */
import type { LogLevel } from './core/config/settings.js';

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Log {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLog(level: LogLevel, prefix = ''): Log {
  const at = ORDER[level];
  const line = (l: LogLevel, message: string): void => {
    if (ORDER[l] >= at) process.stderr.write(`${new Date().toISOString()} ${l.toUpperCase().padEnd(5)} ${prefix}${message}\n`);
  };
  return {
    debug: (m) => line('debug', m),
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}
