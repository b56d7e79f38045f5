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
  };
}
