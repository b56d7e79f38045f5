/**
 * QMP (the QEMU Machine Protocol) for the libvirt driver, spoken through libvirt's own monitor
 * connection: commands with `virsh qemu-monitor-command`, events with `virsh qemu-monitor-event`,
 * both run on the hypervisor host through the HostShell (argument arrays; the JSON command is one
 * argument). libvirt performs the greeting and the `qmp_capabilities` negotiation on that
 * connection and keeps its own view of the guest in step with what QMP does (a QMP `stop` shows as
 * `paused` in virsh), which a second monitor socket would not give without tainting the domain
 * with `<qemu:commandline>` (see ../shared/reference/hypervisor-lab.md, section 5).
 *
 * Used for the guest's run state (the power-state sync refines `virsh domstate` with it: a guest
 * that panicked or hit an I/O error is told apart from one paused by the user), screendumps, and
 * block-device queries.
 */
import { PowerState } from '../../../objects/instance.object';
import type { HostShell } from './host-shell';
import { VirshError, type Virsh } from './virsh';

/** QEMU's RunState values (qapi/run-state.json) that `query-status` reports. */
export type QmpRunState =
  | 'debug' | 'inmigrate' | 'internal-error' | 'io-error' | 'paused' | 'postmigrate' | 'prelaunch' | 'finish-migrate'
  | 'restore-vm' | 'running' | 'save-vm' | 'shutdown' | 'suspended' | 'watchdog' | 'guest-panicked' | 'colo';

export interface QmpStatus {
  status: QmpRunState | string;
  running: boolean;
  singlestep?: boolean;
}

/** One QMP event: `{"event": "STOP", "timestamp": {...}, "data": {...}}`. */
export interface QmpEvent {
  event: string;
  /** Seconds since the epoch (with microseconds) when QEMU emitted it. */
  timestamp: number;
  data: Record<string, unknown> | null;
}

/** One entry of `query-block`. */
export interface QmpBlockDevice {
  device: string;
  qdev?: string;
  removable: boolean;
  locked: boolean;
  inserted?: { file: string; ro: boolean; drv: string; [k: string]: unknown };
  [k: string]: unknown;
}

export type ScreendumpFormat = 'png' | 'ppm';

/** QEMU answered a command with `{"error": {"class", "desc"}}`. */
export class QmpError extends Error {
  constructor(readonly command: string, readonly errorClass: string, readonly desc: string) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
  }
}

/**
 * QMP run state → Nova power state. Running vCPUs are RUNNING; a guest whose vCPUs are stopped
 * while QEMU lives (paused by the user, migrating in or out, saving, stopped on an I/O error or by
 * the watchdog) is PAUSED; `shutdown` (QEMU kept alive with -no-shutdown) is SHUTDOWN; a guest
 * that panicked or hit an emulation error is CRASHED; ACPI S3 (`suspended`) is SUSPENDED.
 */
export function powerStateFromQmpStatus(status: string): number {
  switch (status) {
    case 'running':
      return PowerState.RUNNING;
    case 'paused': case 'debug': case 'inmigrate': case 'postmigrate': case 'prelaunch': case 'finish-migrate':
    case 'restore-vm': case 'save-vm': case 'io-error': case 'watchdog': case 'colo':
      return PowerState.PAUSED;
    case 'shutdown':
      return PowerState.SHUTDOWN;
    case 'internal-error': case 'guest-panicked':
      return PowerState.CRASHED;
    case 'suspended':
      return PowerState.SUSPENDED;
    default:
      return PowerState.NOSTATE;
  }
}

/** A QMP reply (one JSON object) → its `return`, or QmpError. */
export function qmpReturn(command: string, replyText: string): unknown {
  let reply: { return?: unknown; error?: { class?: string; desc?: string } };
  try {
    reply = JSON.parse(replyText) as typeof reply;
  } catch {
    throw new QmpError(command, 'ProtocolError', `not a QMP reply: ${replyText.slice(0, 200)}`);
  }
  if (reply.error) throw new QmpError(command, reply.error.class ?? 'GenericError', reply.error.desc ?? '');
  return reply.return;
}

/**
 * Lines of `virsh qemu-monitor-event` (`event STOP at 1700000000.123456 for domain 'x': <null>`
 * or `...: {"guest":true,"reason":"guest-shutdown"}`) → events.
 */
export function parseMonitorEvents(out: string): QmpEvent[] {
  const events: QmpEvent[] = [];
  for (const line of out.split('\n')) {
    const m = /^event (\S+) at (\d+)\.(\d+) for domain '.*': (.*)$/.exec(line.trim());
    if (!m) continue;
    let data: Record<string, unknown> | null = null;
    if (m[4] !== '<null>') {
      try {
        data = JSON.parse(m[4]!) as Record<string, unknown>;
      } catch {
        data = { raw: m[4] };
      }
    }
    events.push({ event: m[1]!, timestamp: Number(m[2]) + Number(m[3]) / 1e6, data });
  }
  return events;
}

/** PNG or PPM bytes → their pixel size, or null when they are neither. */
export function imageSize(buf: Buffer): { format: ScreendumpFormat; width: number; height: number } | null {
  if (buf.length >= 24 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && buf.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(buf.subarray(0, 64).toString('latin1'));
  return m ? { format: 'ppm', width: Number(m[1]), height: Number(m[2]) } : null;
}

/** QMP commands and events for the domains of one libvirt host. */
export class LibvirtQmp {
  constructor(
    private readonly virsh: Virsh,
    private readonly shell: HostShell,
  ) {}

  /** Runs one QMP command on the domain's monitor; the reply's `return`, or QmpError / VirshError. */
  async execute<T = unknown>(dom: string, command: string, args?: Record<string, unknown>): Promise<T> {
    const cmd = JSON.stringify(args ? { execute: command, arguments: args } : { execute: command });
    const out = await this.virsh.exec(['qemu-monitor-command', '--domain', dom, '--cmd', cmd]);
    return qmpReturn(command, out) as T;
  }

  /** `query-status`. */
  status(dom: string): Promise<QmpStatus> {
    return this.execute<QmpStatus>(dom, 'query-status');
  }

  /** The guest's power state from QEMU itself (the domain must be active: QEMU running). */
  async powerState(dom: string): Promise<number> {
    return powerStateFromQmpStatus((await this.status(dom)).status);
  }

  /** `query-version`: the QEMU the domain runs on (what the QMP greeting announces). */
  async version(dom: string): Promise<{ major: number; minor: number; micro: number; package: string }> {
    const v = await this.execute<{ qemu: { major: number; minor: number; micro: number }; package: string }>(dom, 'query-version');
    return { ...v.qemu, package: v.package.trim() };
  }

  /** `query-block`: the guest's block devices and what is inserted in them. */
  queryBlock(dom: string): Promise<QmpBlockDevice[]> {
    return this.execute<QmpBlockDevice[]>(dom, 'query-block');
  }

  /**
   * `screendump` of the guest's display into `hostFile` (a path on the hypervisor host, written
   * by QEMU), then fetched over the shell (SFTP) and removed. PNG or PPM (P6).
   */
  async screendump(dom: string, hostFile: string, format: ScreendumpFormat = 'png'): Promise<Buffer> {
    try {
      await this.execute(dom, 'screendump', { filename: hostFile, format });
      return await this.shell.readFile(hostFile);
    } finally {
      await this.shell.run(['rm', '-f', '--', hostFile]).catch(() => undefined);
    }
  }

  /**
   * Waits up to `timeoutSec` for the next QMP event of the domain named in `events` (e.g.
   * `['SHUTDOWN', 'STOP']`); null when none came. The listener registers a fraction of a second
   * after the call: start it before the action that causes the event.
   */
  async nextEvent(dom: string, events: string[], timeoutSec: number): Promise<QmpEvent | null> {
    if (events.length === 0 || events.some((e) => !/^[A-Z0-9_]+$/.test(e))) throw new Error(`QMP event names must be upper-case identifiers: ${events.join(', ')}`);
    const seconds = String(Math.max(1, Math.ceil(timeoutSec)));
    const args = ['qemu-monitor-event', '--domain', dom, '--event', `^(${events.join('|')})$`, '--regex', '--timeout', seconds];
    try {
      return parseMonitorEvents(await this.virsh.exec(args, (Number(seconds) + 15) * 1000))[0] ?? null;
    } catch (e) {
      // No event within the timeout: virsh prints `event loop timed out` and exits 1.
      if (e instanceof VirshError && /event loop timed out/.test(e.result.stdout)) return null;
      throw e;
    }
  }
}
