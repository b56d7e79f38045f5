/**
 * The hypervisor lab that scripts/hypervisor-setup.sh prepares (libvirt, QEMU/TCG, a private sshd,
 * a tiny guest). Tests read its lab.env: $NOVA_TS_LAB_ENV, else /var/lib/nova-ts-lab/lab.env.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface HypervisorLab {
  dir: string;
  sshHost: string;
  sshPort: number;
  sshUser: string;
  privateKeyFile: string;
  knownHostsFile: string;
  hostKeyFingerprint: string;
  sshdConfig: string;
  sshdPidFile: string;
  libvirtUri: string;
  virtType: string;
  guestKernel: string;
  guestInitrd: string;
  guestCmdline: string;
  guestMarker: string;
  guestPoweroffMarker: string;
  guestRamMb: number;
  /** Every KEY=VALUE of the file. */
  raw: Record<string, string>;
  /** Host 2 (scripts/hypervisor-second-host.sh), when it was set up: see SecondHost. */
  secondHost?: SecondHost;
}

/**
 * The second hypervisor host on this machine: libvirtd #2 in its own mount namespace, reached by
 * SSH on its own port (sshd #2 runs in that namespace). Both hosts mount their own storage at the
 * same `instancesRoot`; host 2's files are visible from here (host 1) under `instancesFromHost1`.
 */
export interface SecondHost {
  sshHost: string;
  sshPort: number;
  sshUser: string;
  /** known_hosts with both hosts' keys (use it for every compute of a two-host test). */
  knownHostsFile: string;
  hostKeyFingerprint: string;
  hostUuid: string;
  /** virsh URI of libvirtd #2 from this machine's (host 1's) namespace. */
  libvirtUriFromHost1: string;
  libvirtdPidFile: string;
  sshdPidFile: string;
  /** Where both hosts keep instances (tests use an instances_path under it). */
  instancesRoot: string;
  /** Host 2's `instancesRoot`, seen from host 1. */
  instancesFromHost1: string;
}

/** $NOVA_TS_LAB_DIR's second-host.env (next to lab.env). */
export function secondHostEnvPath(): string {
  return labEnvPath().replace(/[^/]*$/, 'second-host.env');
}

function readEnvFile(path: string): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) raw[m[1]!] = m[2]!;
  }
  return raw;
}

function loadSecondHost(): SecondHost | undefined {
  const path = secondHostEnvPath();
  if (!existsSync(path)) return undefined;
  const raw = readEnvFile(path);
  const get = (k: string): string => {
    const v = raw[`NOVA_TS_LAB_${k}`];
    if (v === undefined) throw new Error(`${path}: NOVA_TS_LAB_${k} missing (re-run scripts/hypervisor-second-host.sh)`);
    return v;
  };
  return {
    sshHost: get('HOST2_SSH_HOST'), sshPort: Number(get('HOST2_SSH_PORT')), sshUser: get('HOST2_SSH_USER'),
    knownHostsFile: get('HOST2_KNOWN_HOSTS'), hostKeyFingerprint: get('HOST2_HOST_KEY_FINGERPRINT'), hostUuid: get('HOST2_HOST_UUID'),
    libvirtUriFromHost1: get('HOST2_LIBVIRT_URI_FROM_HOST1'), libvirtdPidFile: get('HOST2_LIBVIRTD_PID_FILE'),
    sshdPidFile: get('HOST2_SSHD_PID_FILE'), instancesRoot: get('INSTANCES_ROOT'), instancesFromHost1: get('HOST2_INSTANCES_FROM_HOST1'),
  };
}

export function labEnvPath(): string {
  return process.env.NOVA_TS_LAB_ENV ?? '/var/lib/nova-ts-lab/lab.env';
}

/** The lab, or a sentence saying why it is not there (for `skip`). Throws when NOVA_TS_REQUIRE_LAB=1. */
export function loadHypervisorLab(): HypervisorLab | string {
  const path = labEnvPath();
  if (!existsSync(path)) {
    const why = `hypervisor lab not set up: ${path} is absent (run scripts/hypervisor-setup.sh as root)`;
    if (process.env.NOVA_TS_REQUIRE_LAB === '1') throw new Error(why);
    return why;
  }
  const raw: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) raw[m[1]!] = m[2]!;
  }
  const get = (k: string): string => {
    const v = raw[`NOVA_TS_LAB_${k}`];
    if (v === undefined) throw new Error(`${path}: NOVA_TS_LAB_${k} missing (re-run scripts/hypervisor-setup.sh)`);
    return v;
  };
  return {
    dir: get('DIR'), sshHost: get('SSH_HOST'), sshPort: Number(get('SSH_PORT')), sshUser: get('SSH_USER'),
    privateKeyFile: get('SSH_PRIVATE_KEY'), knownHostsFile: get('SSH_KNOWN_HOSTS'),
    hostKeyFingerprint: get('SSH_HOST_KEY_FINGERPRINT'), sshdConfig: get('SSHD_CONFIG'), sshdPidFile: get('SSHD_PID_FILE'),
    libvirtUri: get('LIBVIRT_URI'), virtType: get('VIRT_TYPE'), guestKernel: get('GUEST_KERNEL'),
    guestInitrd: get('GUEST_INITRD'), guestCmdline: get('GUEST_CMDLINE'), guestMarker: get('GUEST_MARKER'),
    guestPoweroffMarker: get('GUEST_POWEROFF_MARKER'), guestRamMb: Number(get('GUEST_RAM_MB')), raw,
    secondHost: loadSecondHost(),
  };
}
