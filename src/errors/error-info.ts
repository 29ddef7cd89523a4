import { ErrorCodes, type ErrorName } from './codes.ts';

/** The wire shape of an Ably error (`ErrorInfo` in the SDKs). */
export interface WireError {
  message: string;
  code: number;
  statusCode: number;
  href?: string;
}

/**
 * An Ably error: a program code plus the HTTP-style status. Thrown by any layer; the layer that owns the wire
 * decides whether it becomes a NACK, a channel ERROR, a connection ERROR or an HTTP response.
 */
export class ErrorInfo extends Error {
  readonly code: number;
  readonly statusCode: number;

  constructor(message: string, code: number, statusCode: number) {
    super(message);
    this.name = 'ErrorInfo';
    this.code = code;
    this.statusCode = statusCode;
  }

  /** Builds an error from the table, optionally with a more specific message. */
  static of(name: ErrorName, detail?: string): ErrorInfo {
    const entry: { code: number; message: string; statusCode?: number } = ErrorCodes[name];
    const status = entry.statusCode ?? Math.floor(entry.code / 100);
    return new ErrorInfo(detail ? `${entry.message}: ${detail}` : entry.message, entry.code, status);
  }

  /** Normalises anything thrown into an ErrorInfo; unknown failures become 50000. */
  static from(err: unknown): ErrorInfo {
    if (err instanceof ErrorInfo) return err;
    return ErrorInfo.of('internal', err instanceof Error ? err.message : String(err));
  }

  toWire(): WireError {
    return {
      message: this.message,
      code: this.code,
      statusCode: this.statusCode,
      href: `https://help.ably.io/error/${this.code}`,
    };
  }
}
