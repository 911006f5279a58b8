// Regenerates the documents derived from the code: docs/config.md (and others registered here).
import fs from 'node:fs';
import path from 'node:path';
import { renderConfigDocs } from '../backend/src/platform/config-docs.js';
import { INSTALL_DIR } from '../backend/src/platform/paths.js';

const generated: Array<[string, () => string]> = [['docs/config.md', renderConfigDocs]];

for (const [rel, render] of generated) {
  const file = path.join(INSTALL_DIR, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, render());
  console.log(`wrote ${rel}`);
}
