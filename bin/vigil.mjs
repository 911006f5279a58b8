#!/usr/bin/env node
// The `vigil` command. Runs the compiled backend when `npm run build` produced it, else the TypeScript sources.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist/backend/backend/src/roles/cli.js');
if (fs.existsSync(compiled) && process.env.VIGIL_FROM_SOURCE !== '1') {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'backend/src/roles/cli.ts')).href);
}
