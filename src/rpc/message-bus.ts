/**
 * The RPC bus contract shared by every transport (in-process and AMQP). Semantics follow
 * oslo.messaging as Nova uses it:
 *
 * - `call` sends to a topic (any server of it, round-robin) or to `topic.server`, waits for the
 *   reply and returns the handler's result. A remote exception is raised again on the caller
 *   with its class (see rpc-errors.ts). No reply within the timeout -> MessagingTimeout.
 * - `cast` is fire-and-forget for the caller, but it resolves only once the transport has taken
 *   responsibility for the message (AMQP: a publisher confirm); otherwise it rejects. A cast is
 *   never silently dropped.
 * - `fanoutCast` delivers to every server currently serving the topic.
 * - `serve(topic, server, dispatch)` consumes `<topic>`, `<topic>.<server>` and the topic's fanout.
 *
 * Only plain JSON-compatible values cross the bus; every transport round-trips messages through
 * JSON so that dev (in-process) behaves like production (AMQP).
 */

/** Request context flattened into `_context_<key>` entries on the wire (Nova's RequestContext.to_dict). */
export interface RpcContext {
  request_id?: string;
  global_request_id?: string | null;
  user_id?: string | null;
  project_id?: string | null;
  is_admin?: boolean;
  roles?: string[];
  [key: string]: unknown;
}

export interface RpcTarget {
  topic: string;
  /** Host name: sends to `<topic>.<server>` instead of the shared `<topic>` queue. */
  server?: string;
  /** oslo.messaging namespace, e.g. `compute_task` for the conductor's task API. */
  namespace?: string;
  /** Version the caller needs, e.g. `6.0`; carried to the server for compatibility checks. */
  version?: string;
}

export interface SendOptions {
  context?: RpcContext;
}

export interface CallOptions extends SendOptions {
  /** Milliseconds to wait for the reply; default `[DEFAULT] rpc_response_timeout`. */
  timeoutMs?: number;
}

export type RpcKind = 'call' | 'cast' | 'fanout';

export interface RpcRequest {
  kind: RpcKind;
  topic: string;
  /** Set when the request was sent to `<topic>.<server>`. */
  server?: string;
  namespace?: string;
  version?: string;
  method: string;
  args: Record<string, unknown>;
  context: RpcContext;
}

/**
 * Handles one request. Its resolved value is the call's reply (ignored for casts); a rejection
 * travels back to the caller as a remote error. Unknown methods must reject with NoSuchMethod.
 */
export type RpcDispatcher = (request: RpcRequest) => Promise<unknown>;

export interface RpcServerHandle {
  /** Stops taking new messages, then waits up to `drainMs` for handlers in flight. */
  stop(drainMs?: number): Promise<void>;
}

export interface MessageBus {
  /** `inproc` or `rabbit`: for logs and `nova service list`. */
  readonly transportName: string;
  call<T = unknown>(target: RpcTarget, method: string, args: Record<string, unknown>, options?: CallOptions): Promise<T>;
  cast(target: RpcTarget, method: string, args: Record<string, unknown>, options?: SendOptions): Promise<void>;
  fanoutCast(topic: string, method: string, args: Record<string, unknown>, options?: SendOptions): Promise<void>;
  serve(topic: string, server: string, dispatch: RpcDispatcher): Promise<RpcServerHandle>;
  /** Graceful shutdown: stop every server (draining up to `drainMs`), fail pending calls, close connections. */
  close(drainMs?: number): Promise<void>;
}
