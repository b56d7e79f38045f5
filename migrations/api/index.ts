import { ApiInitialSchema1763683200000 } from './1763683200000-api-initial-schema';

/** Migrations of the API database, oldest first. Append only; never edit a merged one. */
export const API_MIGRATIONS = [ApiInitialSchema1763683200000];
