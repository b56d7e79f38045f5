/** An image of the built-in image service, as the repository returns it (plain data). */
export interface ImageRecord {
  id: string;
  name: string | null;
  /** queued, saving, active, killed, deleted */
  status: string;
  /** public, private, shared, community */
  visibility: string;
  owner: string | null;
  protected: boolean;
  os_hidden: boolean;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  size: number | null;
  virtual_size: number | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  /** Custom properties (Glance's "additional properties"), strings only. */
  properties: Record<string, string>;
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** Fields a create or a patch may set. */
export type ImageChanges = Partial<Pick<ImageRecord,
  'name' | 'visibility' | 'owner' | 'protected' | 'os_hidden' | 'disk_format' | 'container_format' | 'min_disk' |
  'min_ram' | 'properties' | 'tags'>>;

/** Fields an upload sets. */
export type ImageDataFields = Pick<ImageRecord, 'checksum' | 'os_hash_algo' | 'os_hash_value' | 'size' | 'virtual_size'>;

/** Who asks: admins see every image, others public ones and their project's. */
export interface ImageViewer {
  projectId: string;
  admin: boolean;
}

export interface ImageListFilters {
  name?: string;
  status?: string;
  /** public, private, shared, community or all */
  visibility?: string;
  owner?: string;
  /** Default false: hidden images are not listed. */
  os_hidden?: boolean;
}
