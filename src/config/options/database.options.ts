/** [database] and [api_database]: the SQL databases (oslo.db's options). */
import { intOpt, section, uriOpt } from '../option-types';

function databaseOptions(which: string, file: string) {
  return {
    connection: uriOpt({
      secret: true,
      help: `SQLAlchemy-style URL of the ${which}, e.g. mysql+pymysql://nova:PASSWORD@controller/nova. ` +
        `When unset, an SQLite file under state_path (${file}) is used.`,
    }),
    connection_recycle_time: intOpt({
      default: 3600, min: 1, unit: 'seconds',
      help: 'Connections idle in the pool for longer than this are reopened.',
    }),
    max_pool_size: intOpt({ default: 5, min: 0, help: 'Most connections kept open in the pool. 0 means no limit.' }),
    max_retries: intOpt({
      default: 10, min: -1, help: 'How often to retry opening the database at start-up. -1 retries forever.',
    }),
    retry_interval: intOpt({ default: 10, min: 0, unit: 'seconds', help: 'Delay between those retries.' }),
  };
}

export const databaseSection = section(
  'The main (cell) database: instances, services, compute nodes, ...',
  databaseOptions('main database', 'nova.sqlite'),
);

export const apiDatabaseSection = section(
  'The API database: flavors, request specs, host mappings, key pairs, quotas, ...',
  databaseOptions('API database', 'nova_api.sqlite'),
);
