import { MainInitialSchema1763683200000 } from './1763683200000-main-initial-schema';
import { MainAllocations1763942400000 } from './1763942400000-main-allocations';

/** Migrations of the main database, oldest first. Append only; never edit a merged one. */
export const MAIN_MIGRATIONS = [MainInitialSchema1763683200000, MainAllocations1763942400000];
