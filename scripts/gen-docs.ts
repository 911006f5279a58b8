// Regenerates the documents derived from the code: docs/config.md, docs/openapi.json (and others registered here).
import fs from 'node:fs';
import path from 'node:path';
import { renderConfigDocs } from '../backend/src/platform/config-docs.js';
import { INSTALL_DIR } from '../backend/src/platform/paths.js';
import { renderOpenApiDocument } from '../backend/src/roles/openapi-docs.js';

const generated: Array<[string, () => string | Promise<string>]> = [
  ['docs/config.md', renderConfigDocs],
  ['docs/openapi.json', renderOpenApiDocument],
];

for (const [rel, render] of generated) {
  const file = path.join(INSTALL_DIR, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await render());
  console.log(`wrote ${rel}`);
}
