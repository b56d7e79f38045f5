import { MainInitialSchema1763683200000 } from './1763683200000-main-initial-schema';

/** Migrations of the main database, oldest first. Append only; never edit a merged one. */
export const MAIN_MIGRATIONS = [MainInitialSchema1763683200000];
