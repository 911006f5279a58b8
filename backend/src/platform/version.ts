import { createRequire } from 'node:module';
import path from 'node:path';
import { INSTALL_DIR } from './paths.js';

const require = createRequire(import.meta.url);

/** The Vigil version, from package.json (found from the sources and from the compiled backend alike). */
export const VERSION: string = (require(path.join(INSTALL_DIR, 'package.json')) as { version: string })
  .version;
