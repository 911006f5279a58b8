import fs from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from './paths.js';

/** The Vigil version, from package.json. */
export const VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(INSTALL_DIR, 'package.json'), 'utf8')) as { version: string }
).version;
