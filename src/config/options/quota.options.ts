/** [quota]: default per-project limits. */
import { choiceOpt, intOpt, section } from '../option-types';

const limit = (dflt: number, what: string, unit?: string) =>
  intOpt({ default: dflt, min: -1, ...(unit ? { unit } : {}), help: `Default per-project limit of ${what}. -1 means unlimited.` });

export const quotaSection = section('Default quotas of every project; per-project values are set through the API.', {
  instances: limit(10, 'instances'),
  cores: limit(20, 'instance vCPUs'),
  ram: limit(51200, 'instance RAM', 'MiB'),
  metadata_items: limit(128, 'metadata items per instance'),
  injected_files: limit(5, 'injected files per instance'),
  injected_file_content_bytes: limit(10240, 'bytes per injected file', 'bytes'),
  injected_file_path_length: limit(255, 'characters in an injected file path'),
  key_pairs: limit(100, 'key pairs per user'),
  server_groups: limit(10, 'server groups'),
  server_group_members: limit(10, 'servers per server group'),
  driver: choiceOpt({
    choices: ['nova.quota.DbQuotaDriver', 'nova.quota.NoopQuotaDriver'] as const,
    default: 'nova.quota.DbQuotaDriver',
    help: 'DbQuotaDriver enforces quotas stored in the database; NoopQuotaDriver enforces none.',
  }),
});
