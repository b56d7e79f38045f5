/**
 * Every option nova-ts reads, by section, and the typed `NovaConf` inferred from them. Pure.
 * Access pattern: `conf.DEFAULT.report_interval` (number), `conf.database.connection`
 * (string | undefined), `conf.filter_scheduler.enabled_filters` (string[]).
 */
import { MASK, OptDef, SectionDef, SectionValues, section, showValue } from '../option-types';
import { apiSection } from './api.options';
import { apiDatabaseSection, databaseSection } from './database.options';
import { defaultComputeOptions } from './default-compute.options';
import { defaultRpcOptions } from './default-rpc.options';
import { defaultServiceOptions } from './default-service.options';
import { fakeDriverSection } from './fake-driver.options';
import { identitySection, tokenSection } from './identity.options';
import { imageServiceSection } from './image-service.options';
import { KNOWN_UNUSED_SECTIONS } from './known-sections.options';
import { libvirtSection } from './libvirt.options';
import { osloConcurrencySection, osloPolicySection, upgradeLevelsSection, wsgiSection } from './misc.options';
import { osloMessagingRabbitSection } from './oslo-messaging-rabbit.options';
import { quotaSection } from './quota.options';
import { filterSchedulerSection, schedulerSection } from './scheduler.options';
import { cinderSection, glanceSection, keystoneAuthtokenSection, neutronSection, placementSection } from './services.options';
import { consoleauthSection, consoleSection, defaultConsoleProxyOptions, vncSection } from './vnc.options';

/** The declared sections, in the order of the sample file. */
export const SECTIONS = {
  DEFAULT: section('Options of every role: this host, the bus, the HTTP listeners, compute defaults.', {
    ...defaultServiceOptions,
    ...defaultRpcOptions,
    ...defaultComputeOptions,
    ...defaultConsoleProxyOptions,
  }),
  api: apiSection,
  api_database: apiDatabaseSection,
  cinder: cinderSection,
  console: consoleSection,
  consoleauth: consoleauthSection,
  database: databaseSection,
  fake_driver: fakeDriverSection,
  filter_scheduler: filterSchedulerSection,
  glance: glanceSection,
  identity: identitySection,
  image_service: imageServiceSection,
  keystone_authtoken: keystoneAuthtokenSection,
  libvirt: libvirtSection,
  neutron: neutronSection,
  oslo_concurrency: osloConcurrencySection,
  oslo_messaging_rabbit: osloMessagingRabbitSection,
  oslo_policy: osloPolicySection,
  placement: placementSection,
  quota: quotaSection,
  scheduler: schedulerSection,
  token: tokenSection,
  upgrade_levels: upgradeLevelsSection,
  vnc: vncSection,
  wsgi: wsgiSection,
};

export type SectionName = keyof typeof SECTIONS;

/** The loaded configuration: one typed, read-only object per section. */
export type NovaConf = { readonly [S in SectionName]: SectionValues<(typeof SECTIONS)[S]> };

export { KNOWN_UNUSED_SECTIONS };

export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

const sections: Readonly<Record<string, SectionDef>> = SECTIONS;

export function sectionDef(name: string): SectionDef | undefined {
  return Object.prototype.hasOwnProperty.call(sections, name) ? sections[name] : undefined;
}

export function findOption(sectionName: string, name: string): OptDef | undefined {
  const s = sectionDef(sectionName);
  return s && Object.prototype.hasOwnProperty.call(s.options, name) ? s.options[name] : undefined;
}

/** Declared sections and the real Nova sections nova-ts ignores. */
export function isKnownSection(name: string): boolean {
  return sectionDef(name) !== undefined || KNOWN_UNUSED_SECTIONS.includes(name);
}

const secretKeys = new Set<string>(['password', 'secret', 'token', 'admin_password']);
for (const s of SECTION_NAMES) {
  for (const [name, opt] of Object.entries(sections[s]?.options ?? {})) {
    if (opt.secret) {
      secretKeys.add(name);
      for (const d of opt.deprecatedNames) secretKeys.add(d.name);
    }
  }
}

/** Whether a key of that name is secret in some section (used to keep malformed lines out of errors). */
export function isSecretKey(key: string): boolean {
  return secretKeys.has(key) || /pass(word|wd)?$|secret/i.test(key);
}

/** A copy of `conf` for display: secret values replaced by `****` (URLs keep all but the password). */
export function maskSecrets(conf: NovaConf): Record<SectionName, Record<string, unknown>> {
  const out = {} as Record<SectionName, Record<string, unknown>>;
  for (const s of SECTION_NAMES) {
    const values: Record<string, unknown> = { ...conf[s] };
    for (const [name, opt] of Object.entries(sections[s]?.options ?? {})) {
      const v = values[name];
      if (opt.secret && v !== undefined) values[name] = typeof v === 'string' ? showValue(opt, v) : MASK;
    }
    out[s] = values;
  }
  return out;
}

/** `[section] name = value` lines of every option, secrets masked (for logging the effective config). */
export function describeConfig(conf: NovaConf): string[] {
  const masked = maskSecrets(conf);
  const lines: string[] = [];
  for (const s of SECTION_NAMES) {
    for (const [name, v] of Object.entries(masked[s])) {
      const shown = v === undefined ? '<unset>' : Array.isArray(v) ? v.join(',')
        : typeof v === 'object' && v !== null ? Object.entries(v).map(([k, x]) => `${k}:${String(x)}`).join(',')
          : String(v);
      lines.push(`[${s}] ${name} = ${shown}`);
    }
  }
  return lines;
}
