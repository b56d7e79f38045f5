/** Defaults of the AMQP transport. */
export const DEFAULT_RPC_RESPONSE_TIMEOUT_MS = 60_000;
export const DEFAULT_DRAIN_MS = 10_000;
