import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** This build's version, from package.json (read at run time: it sits outside the compiled tree). */
export const VERSION: string = (JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
