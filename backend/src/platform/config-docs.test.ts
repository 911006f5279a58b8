import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigDocs } from './config-docs.js';
import { INSTALL_DIR } from './paths.js';

describe('docs/config.md', () => {
  it('is up to date with the schema (run `npm run docs` after changing the config)', () => {
    const committed = fs.readFileSync(path.join(INSTALL_DIR, 'docs/config.md'), 'utf8');
    expect(committed).toBe(renderConfigDocs());
  });

  it('documents every top-level section', () => {
    const doc = renderConfigDocs();
    for (const key of ['dataDir', 'server.port', 'cameras[].main', 'logging.level'])
      expect(doc).toContain(`\`${key}\``);
  });
});
