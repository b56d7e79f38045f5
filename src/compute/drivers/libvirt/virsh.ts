/**
 * Typed wrappers over `virsh -c <uri> ...` run through a HostShell (argument arrays: a domain is
 * always one argument, whatever it contains). virsh's own error line is kept in VirshError.
 */
import { PowerState } from '../../../objects/instance.object';
import { HostCommandError, type CommandResult, type HostShell } from './host-shell';

/** virsh exited non-zero. `notFound`: the domain does not exist. */
export class VirshError extends HostCommandError {
  readonly notFound: boolean;
  /** virsh's message without the `error:` prefixes, e.g. `Requested operation is not valid: domain is not running`. */
  readonly virshMessage: string;
  constructor(argv: string[], result: CommandResult) {
    super(argv, result);
    const lines = (result.stderr || result.stdout).split('\n').map((l) => l.replace(/^error:\s*/, '').trim()).filter(Boolean);
    this.virshMessage = lines.filter((l) => !/^failed to get domain/i.test(l) || lines.length === 1).join('; ');
    this.notFound = /failed to get domain|Domain not found|no domain with matching/i.test(result.stderr);
  }
}

export interface DomainState {
  /** virsh's words: `running`, `paused`, `shut off`, `in shutdown`, `crashed`, `pmsuspended`, `idle`, `no state`, `dying`. */
  state: string;
  /** e.g. `booted`, `user`, `saved`, `crashed`; '' when virsh gives none. */
  reason: string;
}

export interface NodeInfo {
  cpuModel: string;
  cpus: number;
  mhz: number;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
  numaCells: number;
  memoryKiB: number;
}

/**
 * `virsh domstate --reason` → Nova power state (Nova's libvirt mapping, plus two cases libvirt
 * reports as shut off: a managed-save image is SUSPENDED, a crash with on_crash=destroy is CRASHED).
 */
export function powerStateFromDomstate(s: DomainState): number {
  switch (s.state) {
    case 'running':
    case 'idle':
    case 'blocked':
      return PowerState.RUNNING;
    case 'paused':
      return PowerState.PAUSED;
    case 'in shutdown':
    case 'dying':
      return PowerState.SHUTDOWN;
    case 'shut off':
      if (s.reason === 'saved') return PowerState.SUSPENDED;
      if (s.reason === 'crashed') return PowerState.CRASHED;
      return PowerState.SHUTDOWN;
    case 'crashed':
      return PowerState.CRASHED;
    case 'pmsuspended':
      return PowerState.SUSPENDED;
    default:
      return PowerState.NOSTATE;
  }
}

/** Parses `running (booted)` / `shut off` into its parts. */
export function parseDomstate(out: string): DomainState {
  const m = /^\s*([a-z ]+?)\s*(?:\(([^)]*)\))?\s*$/.exec(out.trim().split('\n')[0] ?? '');
  return m ? { state: m[1]!, reason: (m[2] ?? '').trim() } : { state: out.trim(), reason: '' };
}

/** `Key:   value` lines (dominfo, nodeinfo) into a map. */
export function parseKeyValues(out: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) map.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return map;
}

export function parseNodeinfo(out: string): NodeInfo {
  const kv = parseKeyValues(out);
  const num = (k: string): number => Number.parseInt(kv.get(k) ?? '0', 10) || 0;
  return {
    cpuModel: kv.get('CPU model') ?? 'x86_64',
    cpus: num('CPU(s)'),
    mhz: num('CPU frequency'),
    sockets: num('CPU socket(s)'),
    coresPerSocket: num('Core(s) per socket'),
    threadsPerCore: num('Thread(s) per core'),
    numaCells: num('NUMA cell(s)'),
    memoryKiB: num('Memory size'),
  };
}

/** `Running hypervisor: QEMU 7.2.22` → 7002022 (Nova's integer version). */
export function parseHypervisorVersion(versionOut: string): number {
  const m = /Running hypervisor:\s*\S+\s+(\d+)\.(\d+)\.(\d+)/.exec(versionOut);
  return m ? Number(m[1]) * 1_000_000 + Number(m[2]) * 1_000 + Number(m[3]) : 0;
}

export type UndefineOptions = { managedSave?: boolean; nvram?: boolean; snapshots?: boolean };

export class Virsh {
  constructor(
    private readonly shell: HostShell,
    readonly uri: string,
    private readonly timeoutMs = 120_000,
  ) {}

  /** Runs `virsh -c uri <args>`; stdout, or VirshError. */
  async exec(args: string[], timeoutMs = this.timeoutMs): Promise<string> {
    const argv = ['virsh', '-q', '-c', this.uri, ...args];
    const r = await this.shell.run(argv, { timeoutMs });
    if (r.code !== 0) throw new VirshError(argv, r);
    return r.stdout;
  }

  define(xmlPath: string): Promise<string> { return this.exec(['define', '--file', xmlPath]); }
  start(dom: string): Promise<string> { return this.exec(['start', '--domain', dom]); }
  /** Hard power-off. */
  destroy(dom: string): Promise<string> { return this.exec(['destroy', '--domain', dom]); }
  undefine(dom: string, o: UndefineOptions = { managedSave: true, nvram: true, snapshots: true }): Promise<string> {
    const flags = [o.managedSave ? '--managed-save' : '', o.nvram ? '--nvram' : '', o.snapshots ? '--snapshots-metadata' : ''].filter(Boolean);
    return this.exec(['undefine', '--domain', dom, ...flags]);
  }
  /** ACPI power button. */
  shutdown(dom: string): Promise<string> { return this.exec(['shutdown', '--domain', dom, '--mode', 'acpi']); }
  /** ACPI reboot request. */
  reboot(dom: string): Promise<string> { return this.exec(['reboot', '--domain', dom, '--mode', 'acpi']); }
  /** Pauses the vCPUs (virsh calls it suspend). */
  pause(dom: string): Promise<string> { return this.exec(['suspend', '--domain', dom]); }
  unpause(dom: string): Promise<string> { return this.exec(['resume', '--domain', dom]); }
  /** Saves memory to the managed-save image and stops; `start` restores. `--running`: restore running even if paused now. */
  managedSave(dom: string): Promise<string> { return this.exec(['managedsave', '--domain', dom, '--running'], Math.max(this.timeoutMs, 300_000)); }
  managedSaveRemove(dom: string): Promise<string> { return this.exec(['managedsave-remove', '--domain', dom]); }
  injectNmi(dom: string): Promise<string> { return this.exec(['inject-nmi', '--domain', dom]); }

  async domstate(dom: string): Promise<DomainState> {
    return parseDomstate(await this.exec(['domstate', '--domain', dom, '--reason']));
  }
  async powerState(dom: string): Promise<number> {
    return powerStateFromDomstate(await this.domstate(dom));
  }
  async dominfo(dom: string): Promise<Map<string, string>> {
    return parseKeyValues(await this.exec(['dominfo', '--domain', dom]));
  }
  async domname(dom: string): Promise<string> {
    return (await this.exec(['domname', '--domain', dom])).trim();
  }
  /** Whether the domain exists (false only on virsh's not-found error). */
  async exists(dom: string): Promise<boolean> {
    try {
      await this.exec(['domstate', '--domain', dom]); // (domuuid does not accept a uuid)
      return true;
    } catch (e) {
      if (e instanceof VirshError && e.notFound) return false;
      throw e;
    }
  }
  /** UUIDs of every domain, running or not. */
  async listAllUuids(): Promise<string[]> {
    return (await this.exec(['list', '--all', '--uuid'])).split('\n').map((l) => l.trim()).filter(Boolean);
  }
  async nodeinfo(): Promise<NodeInfo> {
    return parseNodeinfo(await this.exec(['nodeinfo']));
  }
  async hypervisorVersion(): Promise<number> {
    return parseHypervisorVersion(await this.exec(['version']));
  }
  async dumpxml(dom: string, inactive = false): Promise<string> {
    return this.exec(['dumpxml', '--domain', dom, ...(inactive ? ['--inactive'] : [])]);
  }
  /** A QMP command through libvirt's monitor; the `return` member of the reply. */
  async qmp(dom: string, execute: string, args?: Record<string, unknown>): Promise<unknown> {
    const cmd = JSON.stringify(args ? { execute, arguments: args } : { execute });
    const out = await this.exec(['qemu-monitor-command', '--domain', dom, '--cmd', cmd]);
    const reply = JSON.parse(out) as { return?: unknown; error?: { class?: string; desc?: string } };
    if (reply.error) throw new Error(`QMP ${execute}: ${reply.error.class ?? 'Error'}: ${reply.error.desc ?? ''}`);
    return reply.return;
  }
  /** QMP `query-status` → e.g. `{ status: 'running', running: true }`. */
  async qmpStatus(dom: string): Promise<{ status: string; running: boolean }> {
    return (await this.qmp(dom, 'query-status')) as { status: string; running: boolean };
  }
  /** `127.0.0.1:0` → { host, port: 5900 }; null without VNC. */
  async vncDisplay(dom: string): Promise<{ host: string; port: number } | null> {
    const out = (await this.exec(['vncdisplay', '--domain', dom])).trim();
    const m = /^(.*):(\d+)$/.exec(out);
    return m ? { host: m[1] || '127.0.0.1', port: 5900 + Number(m[2]) } : null;
  }
  /** Writes a PNG screenshot of the console to `file` on the host. */
  screenshot(dom: string, file: string): Promise<string> { return this.exec(['screenshot', '--domain', dom, '--file', file]); }
}
