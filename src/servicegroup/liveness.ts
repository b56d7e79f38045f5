/**
 * Whether a service is up, as Nova's DB servicegroup driver decides it: a forced-down service is
 * down; otherwise it is up while its last heartbeat (or, before the first, its creation) is no
 * older than `service_down_time`. Pure.
 */
export interface LivenessInput {
  forced_down: boolean;
  last_seen_up: string | null;
  created_at: string | null;
}

export function isServiceUp(svc: LivenessInput, serviceDownTimeSec: number, nowMs: number = Date.now()): boolean {
  if (svc.forced_down) return false;
  const seen = svc.last_seen_up ?? svc.created_at;
  if (!seen) return false;
  const ageMs = Math.abs(nowMs - Date.parse(seen));
  return ageMs <= serviceDownTimeSec * 1000;
}
