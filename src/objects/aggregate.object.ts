import { Conflict, Invalid, NovaError } from '../common/errors';

/**
 * A host aggregate as it crosses the bus and reaches views (Nova's `Aggregate` object 1.3):
 * plain JSON, datetimes as ISO strings. `availability_zone` is derived from the metadata key of
 * the same name; `deleted`/`deleted_at` are constant, as the API database has no soft delete.
 */
export interface AggregateRecord {
  id: number;
  uuid: string;
  name: string;
  availability_zone: string | null;
  hosts: string[];
  metadata: Record<string, string>;
  created_at: string | null;
  updated_at: string | null;
  deleted_at: null;
  deleted: false;
}

/** The metadata key that places an aggregate's hosts in an availability zone. */
export const AZ_METADATA_KEY = 'availability_zone';

/**
 * The aggregate operations that can be refused (Nova's InvalidAggregateAction* exceptions).
 * Nova reuses InvalidAggregateActionDelete ("Cannot remove host from aggregate") both for
 * removing a host and for deleting a non-empty aggregate.
 */
export type AggregateAction = 'add_host' | 'remove_host' | 'update' | 'set_metadata' | 'delete';

const ACTION_PREFIX: Record<AggregateAction, string> = {
  add_host: 'Cannot add host to aggregate',
  remove_host: 'Cannot remove host from aggregate',
  delete: 'Cannot remove host from aggregate',
  update: 'Cannot update aggregate',
  set_metadata: 'Cannot update metadata of aggregate',
};

/**
 * The error Nova's API returns when an aggregate action is refused: the message of the
 * InvalidAggregateAction* exception, with the status the aggregates controller maps it to
 * (409 for add_host/remove_host, 400 otherwise).
 */
export function aggregateActionError(action: AggregateAction, aggregateId: number | string, reason: string): NovaError {
  const message = `${ACTION_PREFIX[action]} ${aggregateId}. Reason: ${reason}.`;
  return action === 'add_host' || action === 'remove_host' ? new Conflict(message) : new Invalid(message);
}
