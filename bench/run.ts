// `npm run bench [name…]`: runs bench/<name>/index.ts (all of them without a name). Benchmarks print figures;
// they are not tests and never run in CI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { machineLine } from './machine.js';

const here = import.meta.dirname;
const all = fs
  .readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(here, d.name, 'index.ts')))
  .map((d) => d.name);
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
console.log(machineLine());
if (chosen.length === 0) console.log('no benchmarks yet');
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${all.join(', ') || 'none'}`);
    process.exitCode = 2;
    continue;
  }
  console.log(`\n== bench/${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, name, 'index.ts')], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exitCode = 1;
}
