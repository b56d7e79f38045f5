/**
 * The oslo.messaging 2.0 wire format (reference/nova-api.md §7.5), shared by every transport.
 * Pure: no I/O, no framework; ids are passed in by the caller.
 *
 *   outer: {"oslo.version": "2.0", "oslo.message": "<inner JSON as a string>"}
 *   request inner: method, args, version (if set), namespace (if set), _unique_id,
 *                  calls also _msg_id, _reply_q, _timeout; the context flattened as _context_<key>
 *   reply inner:   result, failure (JSON string or null), ending, _msg_id, _unique_id
 */
import { MalformedMessage, UnsupportedVersion } from './rpc-errors';
import type { RpcContext } from './message-bus';

export const OSLO_VERSION_KEY = 'oslo.version';
export const OSLO_MESSAGE_KEY = 'oslo.message';
export const OSLO_ENVELOPE_VERSION = '2.0';
const CONTEXT_PREFIX = '_context_';

/** Minimal logger the buses write to (Nest's Logger fits). */
export interface BusLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Wraps an inner message in the 2.0 envelope and serializes it. */
export function serializeMessage(inner: Record<string, unknown>): string {
  return JSON.stringify({ [OSLO_VERSION_KEY]: OSLO_ENVELOPE_VERSION, [OSLO_MESSAGE_KEY]: JSON.stringify(inner) });
}

/**
 * Parses a body (JSON text, bytes, or an already-parsed object) and unwraps the envelope. Any 2.x
 * envelope is accepted; a dict without the envelope keys is taken as the message itself.
 */
export function deserializeMessage(body: unknown): Record<string, unknown> {
  let outer: unknown = body;
  if (typeof outer === 'string' || outer instanceof Uint8Array) {
    const text = typeof outer === 'string' ? outer : new TextDecoder('utf-8').decode(outer);
    try {
      outer = JSON.parse(text);
    } catch {
      throw new MalformedMessage('RPC message is not valid JSON');
    }
  }
  if (!isRecord(outer)) throw new MalformedMessage('RPC message is not a JSON object');
  if (!(OSLO_VERSION_KEY in outer) || !(OSLO_MESSAGE_KEY in outer)) return outer;
  const version = String(outer[OSLO_VERSION_KEY]);
  if (!/^2(\.\d+)*$/.test(version)) {
    throw new UnsupportedVersion(`Specified RPC envelope version, ${version}, not supported by this endpoint.`);
  }
  const raw = outer[OSLO_MESSAGE_KEY];
  let inner: unknown = raw;
  if (typeof raw === 'string') {
    try {
      inner = JSON.parse(raw);
    } catch {
      throw new MalformedMessage('RPC envelope carries an invalid oslo.message');
    }
  }
  if (!isRecord(inner)) throw new MalformedMessage('RPC envelope carries an oslo.message that is not an object');
  return inner;
}

export interface OutgoingRequest {
  method: string;
  args: Record<string, unknown>;
  version?: string;
  namespace?: string;
  context?: RpcContext;
  uniqueId: string;
  /** Calls only: the reply correlation id, the caller's reply queue and the call-monitor timeout. */
  msgId?: string;
  replyQueue?: string;
  callMonitorTimeoutSec?: number | null;
}

/** Encodes a cast/call request (the full body, envelope included). */
export function encodeRequest(req: OutgoingRequest): string {
  const inner: Record<string, unknown> = { method: req.method, args: req.args ?? {} };
  if (req.version !== undefined) inner.version = req.version;
  if (req.namespace !== undefined) inner.namespace = req.namespace;
  inner._unique_id = req.uniqueId;
  if (req.msgId !== undefined) {
    inner._msg_id = req.msgId;
    inner._reply_q = req.replyQueue;
    inner._timeout = req.callMonitorTimeoutSec ?? null;
  }
  for (const [key, value] of Object.entries(req.context ?? {})) {
    inner[CONTEXT_PREFIX + key] = value;
  }
  return serializeMessage(inner);
}

export interface IncomingRequest {
  method: string;
  args: Record<string, unknown>;
  version?: string;
  namespace?: string;
  context: RpcContext;
  uniqueId?: string;
  msgId?: string;
  replyQueue?: string;
  callMonitorTimeoutSec?: number;
}

/** Decodes a request body; throws MalformedMessage / UnsupportedVersion. */
export function decodeRequest(body: unknown): IncomingRequest {
  const inner = deserializeMessage(body);
  const context: RpcContext = {};
  for (const [key, value] of Object.entries(inner)) {
    if (key.startsWith(CONTEXT_PREFIX)) {
      const name = key.slice(CONTEXT_PREFIX.length);
      if (name !== '__proto__') context[name] = value;
    }
  }
  const method = inner.method;
  if (typeof method !== 'string' || method === '') throw new MalformedMessage('RPC request without a method');
  const args = inner.args ?? {};
  if (!isRecord(args)) throw new MalformedMessage(`RPC request ${method} has args that are not an object`);
  const out: IncomingRequest = { method, args, context };
  if (inner.version != null) out.version = String(inner.version);
  if (inner.namespace != null) out.namespace = String(inner.namespace);
  if (typeof inner._unique_id === 'string') out.uniqueId = inner._unique_id;
  if (typeof inner._msg_id === 'string' && typeof inner._reply_q === 'string') {
    out.msgId = inner._msg_id;
    out.replyQueue = inner._reply_q;
    if (typeof inner._timeout === 'number' && inner._timeout > 0) out.callMonitorTimeoutSec = inner._timeout;
  }
  return out;
}

export interface ReplyMessage {
  msgId: string;
  uniqueId?: string;
  result: unknown;
  /** JSON failure document (see rpc-errors.ts) or null. */
  failure: string | null;
  /** False for call-monitor heartbeats (and legacy partial replies). */
  ending: boolean;
}

/** Encodes a reply. Throws if `result` cannot be serialized as JSON (e.g. a BigInt or a cycle). */
export function encodeReply(reply: ReplyMessage): string {
  return serializeMessage({
    result: reply.result === undefined ? null : reply.result,
    failure: reply.failure,
    ending: reply.ending,
    _msg_id: reply.msgId,
    _unique_id: reply.uniqueId,
  });
}

export function decodeReply(body: unknown): ReplyMessage {
  const inner = deserializeMessage(body);
  if (typeof inner._msg_id !== 'string') throw new MalformedMessage('RPC reply without _msg_id');
  const failure = inner.failure;
  return {
    msgId: inner._msg_id,
    uniqueId: typeof inner._unique_id === 'string' ? inner._unique_id : undefined,
    result: inner.result === undefined ? null : inner.result,
    failure: failure == null ? null : typeof failure === 'string' ? failure : JSON.stringify(failure),
    // Pre-"ending" peers sent no flag: a message with a result or failure then ends the call.
    ending: inner.ending === undefined ? true : inner.ending === true,
  };
}

/**
 * Bounded memory of `_unique_id`s already handled, to drop duplicates a broker redelivers after a
 * reconnect (oslo's duplicate-message check). Oldest ids are forgotten first.
 */
export class UniqueIdCache {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 16_384) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}

/** `conductor.service_update`, or `compute.get_vnc_console (server host1)`. */
export function describeCall(topic: string, method: string, server?: string): string {
  return `${topic}.${method}${server ? ` (server ${server})` : ''}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
