/** One instance as `os-simple-tenant-usage` reports it (deleted ones included). Pure type. */
export interface UsageInstance {
  uuid: string;
  display_name: string | null;
  project_id: string;
  vm_state: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  /** The embedded flavor's name; '' when it cannot be known. */
  flavor: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
}
