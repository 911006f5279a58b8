import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTALL_DIR } from '../platform/paths.js';
import { renderOpenApiDocument } from './openapi-docs.js';

describe('docs/openapi.json', () => {
  it('is up to date with the routes (run `npm run docs` after changing an API route)', async () => {
    const committed = fs.readFileSync(path.join(INSTALL_DIR, 'docs/openapi.json'), 'utf8');
    expect(committed).toBe(await renderOpenApiDocument());
  });
});
