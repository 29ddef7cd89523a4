import { type DestinationStream, pino } from 'pino';
import { LOG_LEVELS, type LogLevel } from '../config/index.ts';

/** Structured context of one record; `err` holds an Error (serialized with its stack). */
export type LogFields = Record<string, unknown>;
/** pino's calling shape, fields first: a pino logger is a Logger as it is. */
export type LogMethod = (fields: LogFields, message: string) => void;

/**
 * What the rest of the server logs through. The composition root passes one in; nothing imports a global logger.
 * Levels: fatal (cannot start or go on), error (a failure an operator must see: Redis unreachable, internal error),
 * warn (degraded but serving), info (start-up, shutdown, cluster membership), debug (one line per connection
 * lifecycle event), trace (unused for now).
 */
export interface Logger {
  fatal: LogMethod;
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  trace: LogMethod;
  /** Lets callers skip building fields (or subscribing to events) for a level nobody reads. */
  isLevelEnabled(level: LogLevel): boolean;
}

const ignore: LogMethod = () => {};

/** Writes nothing: the default of `createServer()` for embedders and tests that pass no logger. */
export const silentLogger: Logger = {
  fatal: ignore,
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  trace: ignore,
  isLevelEnabled: () => false,
};

/** Whether `level` is written when the threshold is `threshold` (LOG_LEVELS runs from most to least severe). */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return level !== 'silent' && LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(threshold);
}

/**
 * Every record at `level` or above as one line of text, `message {"field":...}`: for embedders and tests that
 * collect lines (the `log` option of createServer). Errors are written with their stack.
 */
export function textLogger(write: (line: string) => void, level: LogLevel = 'info'): Logger {
  const at =
    (l: LogLevel): LogMethod =>
    (fields, message) => {
      if (!levelEnabled(l, level)) return;
      write(Object.keys(fields).length > 0 ? `${message} ${JSON.stringify(fields, errorsAsText)}` : message);
    };
  return {
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    isLevelEnabled: (l) => levelEnabled(l, level),
  };
}

function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? (value.stack ?? value.message) : value;
}

/**
 * Field names whose values are never written, at any depth pino can address. The code logs key names, never
 * secrets or tokens; this is the second line of defence should a credential-bearing object reach a log call.
 */
const SECRET_FIELDS = ['key', 'secret', 'token', 'accessToken', 'password', 'authorization'];
const REDACT = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)];

export interface LoggerOptions {
  level: LogLevel;
  /** The injected Clock's `now`: record times come from the same clock as everything else. */
  now: () => number;
  /** Human-readable lines (pino-pretty) instead of JSON; falls back to JSON when pino-pretty is not installed. */
  pretty: boolean;
  /** Where records (or pretty lines) go; default stdout, written synchronously so nothing is lost on exit. */
  destination?: DestinationStream;
}

/** A pino logger: one JSON object per line (`level` numeric, `time` in ms, `msg`, plus the record's fields). */
export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const pretty = options.pretty ? await prettyStream(options.destination) : undefined;
  const stream = pretty ?? options.destination ?? pino.destination({ dest: 1, sync: true });
  const logger: Logger = pino(
    {
      level: options.level,
      timestamp: () => `,"time":${options.now()}`,
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    stream,
  );
  return logger;
}

/**
 * pino-pretty's formatter in this thread, writing synchronously (its stream mode pipes asynchronously, which would
 * lose the last lines before an exit). A devDependency: a production install (`npm ci --omit=dev`) that lacks it
 * logs JSON even on a terminal rather than failing.
 */
async function prettyStream(destination: DestinationStream | undefined): Promise<DestinationStream | undefined> {
  let prettyFactory: typeof import('pino-pretty').prettyFactory;
  try {
    ({ prettyFactory } = await import('pino-pretty'));
  } catch {
    return undefined;
  }
  const format = prettyFactory({
    colorize: destination === undefined, // colours for the terminal, not for a captured stream
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  const sink = destination ?? pino.destination({ dest: 1, sync: true });
  return { write: (record: string) => sink.write(format(record)) };
}
