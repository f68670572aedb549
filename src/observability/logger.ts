/**
 * Structured logs on stderr: pino JSON lines when stderr is not a terminal (CI, log shippers),
 * short readable lines when it is. stdout stays reserved for results.
 */
import { pino, type Logger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go (stderr). */
  readonly write: (line: string) => void;
  /** Readable lines instead of JSON. */
  readonly pretty: boolean;
}

const LABELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Formats one pino JSON line as `HH:MM:SS LEVEL message key=value ...`. */
export function prettyLine(json: string): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  const time = new Date(Number(record['time'])).toISOString().slice(11, 19);
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${LABELS[Number(record['level'])] ?? 'LOG'} ${String(record['msg'] ?? '')}${fields ? ` ${fields}` : ''}\n`;
}

export function createLogger(options: LoggerOptions): Logger {
  const stream = { write: (line: string) => options.write(options.pretty ? prettyLine(line) : line) };
  return pino({ level: options.level, base: null, timestamp: pino.stdTimeFunctions.epochTime }, stream);
}
