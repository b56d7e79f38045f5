/**
 * Typed errors. Every error that can reach a user (API fault, CLI message, RPC failure) is a
 * NovaError subclass with a stable class name; the API's exception filter renders `faultName`
 * and `code` as Nova's fault body, the CLI prints `message` on one line, and the bus carries the
 * class name across processes so the caller can raise the same class again.
 */
export class NovaError extends Error {
  /** HTTP status this error maps to when it reaches the API. */
  readonly code: number = 500;
  /** Nova fault body key for that status (`badRequest`, `itemNotFound`, ...). */
  readonly faultName: string = 'computeFault';

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends NovaError {
  override readonly code = 400;
  override readonly faultName = 'badRequest';
}

export class NotFound extends NovaError {
  override readonly code = 404;
  override readonly faultName = 'itemNotFound';
}

export class Conflict extends NovaError {
  override readonly code = 409;
  override readonly faultName = 'conflictingRequest';
}

export class Forbidden extends NovaError {
  override readonly code = 403;
  override readonly faultName = 'forbidden';
}

/** Bad configuration: start-up prints `message` (possibly several lines, one per error) and exits 1. */
export class ConfigError extends NovaError {
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
  }
}

/** Bad command line: printed on one line, exit code 2. */
export class UsageError extends NovaError {}

/** The database schema is behind or ahead of this binary. */
export class SchemaVersionError extends NovaError {}

/** A service the process depends on (database, broker) cannot be reached. */
export class ServiceUnavailable extends NovaError {
  override readonly code = 503;
}

/** 401: no valid token. */
export class Unauthorized extends NovaError {
  override readonly code = 401;
  override readonly faultName = 'unauthorized';
}

/** 415: a body that is not JSON. */
export class UnsupportedMediaType extends NovaError {
  override readonly code = 415;
  override readonly faultName = 'badMediaType';
}

/** 410: an API Nova removed. */
export class Gone extends NovaError {
  override readonly code = 410;
  constructor(message = 'This resource is no longer available. No forwarding address is given.') {
    super(message);
  }
}

/** 501: the operation exists in Nova's API but this cloud cannot do it (yet). */
export class NotImplemented extends NovaError {
  override readonly code = 501;
  override readonly faultName = 'notImplemented';
}
