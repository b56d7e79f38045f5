/**
 * Errors of the RPC bus, and how any error crosses it.
 *
 * A handler's failure travels to the caller as oslo.messaging's failure document
 * `{"class", "module", "message", "tb": [], "args": [message], "kwargs": {...}}` (never a stack
 * trace). The caller raises it again with the same class when that class is registered here
 * (every NovaError of src/common/errors.ts and the bus's own errors are), else as RemoteError.
 * Pure module: no I/O.
 */
import {
  Conflict,
  ConfigError,
  Forbidden,
  Invalid,
  NotFound,
  NovaError,
  SchemaVersionError,
  ServiceUnavailable,
  UsageError,
} from '../common/errors';

/** No reply arrived within the call's timeout. */
export class MessagingTimeout extends NovaError {
  readonly topic?: string;
  readonly method?: string;
  readonly server?: string;
  readonly timeoutMs?: number;

  constructor(message: string, details: { topic?: string; method?: string; server?: string; timeoutMs?: number } = {}) {
    super(message);
    this.topic = details.topic;
    this.method = details.method;
    this.server = details.server;
    this.timeoutMs = details.timeoutMs;
  }

  static forCall(topic: string, method: string, server: string | undefined, timeoutMs: number): MessagingTimeout {
    const where = server ? ` (server ${server})` : '';
    return new MessagingTimeout(
      `timed out after ${formatSeconds(timeoutMs)} waiting for a reply to ${topic}.${method}${where}`,
      { topic, method, server, timeoutMs },
    );
  }
}

/** The remote side raised an exception whose class this process does not know. */
export class RemoteError extends NovaError {
  constructor(
    /** Class name of the remote exception, e.g. `InstanceNotFound`. */
    readonly excType: string,
    /** Its message. */
    readonly value: string,
    /** Its module as sent by the remote side (`nova.exception`, `builtins`, ...). */
    readonly excModule?: string,
  ) {
    super(`Remote error: ${excType} ${value}`);
  }
}

/** The server has no endpoint for the requested method (in the requested namespace). */
export class NoSuchMethod extends NovaError {
  static forMethod(method: string, namespace?: string): NoSuchMethod {
    const ns = namespace ? ` in namespace ${namespace}` : '';
    return new NoSuchMethod(`Endpoint does not support RPC method ${method}${ns}`);
  }
}

/** The server cannot handle the requested RPC (or envelope) version. */
export class UnsupportedVersion extends NovaError {}

/** A message on the wire could not be decoded. */
export class MalformedMessage extends NovaError {}

/**
 * A cast or call could not be handed to the broker (unreachable, closed, refused), or the
 * connection dropped while a call was waiting for its reply. The message says which.
 */
export class MessageDeliveryFailure extends ServiceUnavailable {}

/** Builds the error raised on the caller from the remote class name, message and kwargs. */
export type RemoteErrorFactory = (message: string, kwargs: Record<string, unknown>) => Error;

export interface RemoteErrorClassOptions {
  /** Module reported on the wire (oslo compatibility); default `nova.exception`. */
  module?: string;
  /** Needed when the constructor does not take `(message)`; default `new cls(message)` plus kwargs. */
  factory?: RemoteErrorFactory;
}

interface RegistryEntry {
  readonly name: string;
  readonly module: string;
  readonly factory: RemoteErrorFactory;
}

// Class metadata (like a decorator registry), not a connection or client: one per process is right.
const byName = new Map<string, RegistryEntry>();
const byClass = new Map<unknown, RegistryEntry>();

/** Keys never copied from a remote kwargs object onto the rebuilt error. */
const RESERVED_KEYS = new Set(['name', 'message', 'stack', 'cause', 'code', 'faultName', '__proto__', 'constructor', 'prototype']);

function assignKwargs(err: Error, kwargs: Record<string, unknown>): Error {
  for (const [key, value] of Object.entries(kwargs)) {
    if (!RESERVED_KEYS.has(key)) {
      Object.defineProperty(err, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return err;
}

/**
 * Lets a caller re-raise `cls` when a handler in another process throws it. The wire name is the
 * class name, so it must be unique among registered classes. Register at module load, next to
 * the class.
 */
export function registerRemoteErrorClass(cls: new (message: string) => Error, options?: RemoteErrorClassOptions): void;
export function registerRemoteErrorClass(
  cls: abstract new (...args: never[]) => Error,
  options: RemoteErrorClassOptions & { factory: RemoteErrorFactory },
): void;
export function registerRemoteErrorClass(cls: abstract new (...args: never[]) => Error, options: RemoteErrorClassOptions = {}): void {
  const name = cls.name;
  const existing = byName.get(name);
  if (existing && byClass.get(cls) !== existing) {
    throw new Error(`another error class is already registered for the RPC wire name ${name}`);
  }
  const ctor = cls as unknown as new (message: string) => Error;
  const factory = options.factory ?? ((message, kwargs) => assignKwargs(new ctor(message), kwargs));
  const entry: RegistryEntry = { name, module: options.module ?? 'nova.exception', factory };
  byName.set(name, entry);
  byClass.set(cls, entry);
}

/** True when `className` would be raised again with its own class. */
export function isRemoteErrorClassRegistered(className: string): boolean {
  return byName.has(className);
}

/** oslo.messaging's failure document. */
export interface FailureDocument {
  class: string;
  module: string;
  message: string;
  tb: string[];
  args: unknown[];
  kwargs: Record<string, unknown>;
}

function kwargsOf(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (RESERVED_KEYS.has(key) || value === undefined || typeof value === 'function') continue;
    out[key] = value;
  }
  return out;
}

/** The failure document for anything a handler threw (no stack trace). */
export function failureDocument(thrown: unknown): FailureDocument {
  if (thrown instanceof RemoteError) {
    // A remote error passing through (e.g. conductor relaying the scheduler's): keep the original class.
    return { class: thrown.excType, module: thrown.excModule ?? 'builtins', message: thrown.value, tb: [], args: [thrown.value], kwargs: {} };
  }
  if (thrown instanceof Error) {
    const entry = byClass.get(thrown.constructor);
    const name = entry?.name ?? (thrown.name || thrown.constructor.name || 'Error');
    const module = entry?.module ?? (thrown instanceof NovaError ? 'nova.exception' : 'builtins');
    return { class: name, module, message: thrown.message, tb: [], args: [thrown.message], kwargs: kwargsOf(thrown) };
  }
  const message = typeof thrown === 'string' ? thrown : safeString(thrown);
  return { class: 'Error', module: 'builtins', message, tb: [], args: [message], kwargs: {} };
}

/** Serializes a failure as the JSON string carried in a reply's `failure` field. */
export function serializeFailure(thrown: unknown): string {
  const doc = failureDocument(thrown);
  try {
    return JSON.stringify(doc);
  } catch {
    return JSON.stringify({ ...doc, kwargs: {} });
  }
}

/** Rebuilds the error a remote failure stands for: its registered class, else RemoteError. */
export function deserializeFailure(failure: unknown): Error {
  let doc: Partial<FailureDocument>;
  try {
    doc = (typeof failure === 'string' ? JSON.parse(failure) : failure) as Partial<FailureDocument>;
  } catch {
    return new RemoteError('Unknown', String(failure));
  }
  if (doc === null || typeof doc !== 'object') return new RemoteError('Unknown', String(failure));
  const className = typeof doc.class === 'string' && doc.class ? doc.class : 'Unknown';
  const message = typeof doc.message === 'string' ? doc.message : safeString(doc.message ?? '');
  const kwargs = doc.kwargs && typeof doc.kwargs === 'object' && !Array.isArray(doc.kwargs) ? doc.kwargs : {};
  const entry = byName.get(className);
  if (entry) {
    try {
      return entry.factory(message, kwargs);
    } catch {
      // fall through: a factory that cannot rebuild still yields a useful error
    }
  }
  return new RemoteError(className, message, typeof doc.module === 'string' ? doc.module : undefined);
}

/** `0.2 s`, `60 s`. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(3))} s`;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

for (const cls of [NovaError, Invalid, NotFound, Conflict, Forbidden, UsageError, SchemaVersionError, ServiceUnavailable]) {
  registerRemoteErrorClass(cls);
}
registerRemoteErrorClass(ConfigError, { factory: (message) => new ConfigError(message.split('\n')) });
registerRemoteErrorClass(MessagingTimeout, { module: 'oslo_messaging.exceptions' });
registerRemoteErrorClass(MessageDeliveryFailure, { module: 'oslo_messaging.exceptions' });
registerRemoteErrorClass(NoSuchMethod, { module: 'oslo_messaging.rpc.dispatcher' });
registerRemoteErrorClass(UnsupportedVersion, { module: 'oslo_messaging.rpc.dispatcher' });
registerRemoteErrorClass(MalformedMessage, { module: 'oslo_messaging.exceptions' });
