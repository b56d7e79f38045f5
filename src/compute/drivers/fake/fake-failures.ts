/**
 * Failure injection for the fake driver: from `[fake_driver]` options (per process) and from a
 * process-wide registry that in-process tests fill with `FakeDriver.injectFailure`.
 */
import { ConfigError } from '../../../common/errors';
import { DriverError } from '../../driver/compute-driver';

/** The guest operations a failure can be injected into (the contract's method names). */
export const FAKE_OPERATIONS = [
  'spawn',
  'destroy',
  'reboot',
  'powerOff',
  'powerOn',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'rescue',
  'unrescue',
  'snapshot',
  'setAdminPassword',
  'getConsoleOutput',
  'migrateDiskAndPowerOff',
  'finishMigration',
  'confirmMigration',
  'finishRevertMigration',
  'liveMigrate',
  'postLiveMigrationAtDestination',
  'triggerCrashDump',
  'attachVolume',
  'detachVolume',
] as const;
export type FakeOperation = (typeof FAKE_OPERATIONS)[number];

const byNormalized = new Map<string, FakeOperation>(FAKE_OPERATIONS.map((op) => [normalize(op), op]));

function normalize(s: string): string {
  return s.replace(/[_\-\s]/g, '').toLowerCase();
}

/** `power_off`, `powerOff`, `power-off` → `powerOff`; undefined when no such operation. */
export function parseFakeOperation(s: string): FakeOperation | undefined {
  return byNormalized.get(normalize(s));
}

/** `snake_case` of an operation, as the options and messages spell it. */
export function operationLabel(op: FakeOperation): string {
  return op.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** An injected failure: what the compute manager sees as a hypervisor error. */
export class FakeDriverFailure extends DriverError {
  constructor(
    message: string,
    operation: FakeOperation,
    readonly host: string,
    readonly uuid?: string,
  ) {
    super(message, operation);
  }
}

export interface InjectFailureOptions {
  /** Fail only this many times, then the rule is gone (default: until removed). */
  times?: number;
  /** Fail only for this guest. */
  uuid?: string;
}

interface Rule {
  host: string;
  op: FakeOperation;
  message?: string;
  uuid?: string;
  remaining: number;
}

// Test hooks shared by every FakeDriver of the process (like the host registry): one per process is right.
const rules: Rule[] = [];

/**
 * Makes `op` fail on `host` ('*': every host). Returns a function that removes the rule.
 */
export function injectFailure(host: string, op: FakeOperation, message?: string, options: InjectFailureOptions = {}): () => void {
  const rule: Rule = { host, op, message, uuid: options.uuid, remaining: options.times ?? Number.POSITIVE_INFINITY };
  rules.push(rule);
  return () => {
    const i = rules.indexOf(rule);
    if (i >= 0) rules.splice(i, 1);
  };
}

export function clearInjectedFailures(): void {
  rules.length = 0;
}

/** Consumes and returns the first matching programmatic rule, if any. */
function takeRule(host: string, op: FakeOperation, uuid: string | undefined): Rule | undefined {
  const i = rules.findIndex((r) => r.op === op && (r.host === '*' || r.host === host) && (r.uuid === undefined || r.uuid === uuid));
  if (i < 0) return undefined;
  const rule = rules[i];
  rule.remaining -= 1;
  if (rule.remaining <= 0) rules.splice(i, 1);
  return rule;
}

export interface FailureOptions {
  failSpawnOnHosts: string[];
  failSpawnImages: string[];
  /** `op` or `op@host` entries. */
  failOperations: string[];
}

/** The configured failures of one driver, checked before each operation. */
export class FailurePlan {
  private readonly spawnHosts: Set<string>;
  private readonly spawnImages: Set<string>;
  private readonly ops: Array<{ op: FakeOperation; host?: string }>;

  /** Throws ConfigError for an unknown operation name in `failOperations`. */
  constructor(options: FailureOptions) {
    this.spawnHosts = new Set(options.failSpawnOnHosts);
    this.spawnImages = new Set(options.failSpawnImages);
    const errors: string[] = [];
    this.ops = [];
    for (const entry of options.failOperations) {
      const at = entry.indexOf('@');
      const name = at >= 0 ? entry.slice(0, at) : entry;
      const host = at >= 0 ? entry.slice(at + 1) : undefined;
      const op = parseFakeOperation(name);
      if (!op || host === '') {
        errors.push(`[fake_driver] fail_operations: '${entry}' is not '<operation>' or '<operation>@<host>' (operations: ${FAKE_OPERATIONS.map(operationLabel).join(', ')})`);
      } else {
        this.ops.push({ op, host });
      }
    }
    if (errors.length > 0) throw new ConfigError(errors);
  }

  /** Throws FakeDriverFailure when `op` must fail on `host` (for this guest / image). */
  check(host: string, op: FakeOperation, uuid?: string, image?: { id: string; name?: string } | null): void {
    const where = `fake driver: ${operationLabel(op)} failed on host ${host}`;
    const rule = takeRule(host, op, uuid);
    if (rule) throw new FakeDriverFailure(`${where}${rule.message ? `: ${rule.message}` : ''} (injected)`, op, host, uuid);
    if (op === 'spawn') {
      if (this.spawnHosts.has(host)) {
        throw new FakeDriverFailure(`${where} (injected by [fake_driver] fail_spawn_on_hosts)`, op, host, uuid);
      }
      const hit = image && (this.spawnImages.has(image.id) ? image.id : image.name !== undefined && this.spawnImages.has(image.name) ? image.name : undefined);
      if (hit) throw new FakeDriverFailure(`${where} for image ${hit} (injected by [fake_driver] fail_spawn_images)`, op, host, uuid);
    }
    if (this.ops.some((o) => o.op === op && (o.host === undefined || o.host === host))) {
      throw new FakeDriverFailure(`${where} (injected by [fake_driver] fail_operations)`, op, host, uuid);
    }
  }
}
