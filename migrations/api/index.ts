import { ApiInitialSchema1763683200000 } from './1763683200000-api-initial-schema';
import { ApiImages1763769600000 } from './1763769600000-api-images';
import { ApiIdentity1764201600000 } from './1764201600000-api-identity';

/** Migrations of the API database, oldest first. Append only; never edit a merged one. */
export const API_MIGRATIONS = [ApiInitialSchema1763683200000, ApiImages1763769600000, ApiIdentity1764201600000];
