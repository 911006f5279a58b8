import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { videoStoreContractSuite } from '../../../test/contracts/video-store.js';
import { LocalDiskVideoStore } from './local-store.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

videoStoreContractSuite('local disk', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-local-store-'));
  roots.push(root);
  return new LocalDiskVideoStore(root);
});
