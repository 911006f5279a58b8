// Backup throughput to a folder and to S3 (s3rver, a lightweight stand-in for an S3 server, in its own process),
// with the CPU used by the backup process; then the time an incremental run takes to decide there is nothing new
// over 100,000 segment files. Size: BENCH_BACKUP_GB (default 10 when the disk has room, else less);
// BENCH_BACKUP_ONLY=noop measures only the no-op decision.
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifestKey, runBackup, scanDataDir } from '../../backend/src/backup/engine.js';
import { putBuffer, type BackupTarget } from '../../backend/src/backup/target.js';
import { FolderTarget } from '../../backend/src/backup/targets/folder.js';
import { S3Target } from '../../backend/src/backup/targets/s3.js';
import type { BackupManifest } from '../../backend/src/contract/backup.js';
import { configureLogging } from '../../backend/src/platform/log.js';
import { VTEST_H264 } from '../../test/fixtures/media.js';
import { machineLine } from '../machine.js';

configureLogging({ level: 'warn' });
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VTEST = VTEST_H264;
const work = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'vigil-bench-backup-'));
const freeGB = (fs.statfsSync(work).bavail * fs.statfsSync(work).bsize) / 1e9;
// Source + folder copy + S3 copy, with room to spare.
const sizeGB = Number(process.env.BENCH_BACKUP_GB ?? Math.min(10, Math.floor((freeGB - 10) / 3)));

function cpuPercent<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return fn().then((value) => {
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    return { value, seconds, cpu: ((c.user + c.system) / 1e6 / seconds) * 100 };
  });
}

async function startS3rverProcess(dir: string): Promise<{ endpoint: string; stop: () => void }> {
  const script = `
    const S3rver = require(${JSON.stringify(path.join(ROOT, 'node_modules/s3rver'))});
    const s = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1],
      configureBuckets: [{ name: 'bench', configs: [] }] });
    s.run().then((a) => process.send({ port: a.port }));`;
  const runner = path.join(work, 's3rver-runner.cjs');
  fs.writeFileSync(runner, script.replace('process.argv[1]', 'process.argv[2]'));
  const server = fork(runner, [dir], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) =>
    server.once('message', (m: { port: number }) => resolve(m.port)),
  );
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => server.kill() };
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(`work dir ${work}, ${freeGB.toFixed(0)} GB free; synthetic set ${sizeGB} GB`);
  const segDir = path.join(work, 'seg');
  fs.mkdirSync(segDir);
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-i',
    VTEST,
    '-t',
    '10',
    '-c',
    'copy',
    path.join(segDir, 'ten.mp4'),
  ]);
  const seg = path.join(segDir, 'ten.mp4');
  const segBytes = fs.statSync(seg).size;
  const count = Math.ceil((sizeGB * 1e9) / segBytes);
  const dataDir = path.join(work, 'data');
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const dir = path.join(dataDir, 'recordings', `cam${i % 8}`);
    if (i < 8) fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(seg, path.join(dir, `${1_700_000_000_000 + i * 10_000}.mp4`));
  }
  const total = count * segBytes;
  console.log(
    `generated ${count} copies of a real 10 s segment (${(segBytes / 1e6).toFixed(2)} MB each, ${(total / 1e9).toFixed(2)} GB) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );

  const noopOnly = process.env.BENCH_BACKUP_ONLY === 'noop';
  const measure = async (label: string, target: BackupTarget, concurrency: number): Promise<void> => {
    execFileSync('sync');
    const r = await cpuPercent(() =>
      runBackup({ dataDir, target, jobId: label, targetId: label, concurrency }),
    );
    if (r.value.state !== 'succeeded')
      throw new Error(`${label}: ${r.value.state} ${r.value.errors.join('; ')}`);
    console.log(
      `full backup to ${label}: ${r.value.filesUploaded} files, ${(r.value.bytesUploaded / 1e9).toFixed(2)} GB in ${r.seconds.toFixed(1)} s = ${(r.value.bytesUploaded / 1e6 / r.seconds).toFixed(0)} MB/s; backup process CPU ${r.cpu.toFixed(0)} % of one core`,
    );
    const noop = await cpuPercent(() => runBackup({ dataDir, target, jobId: label, targetId: label }));
    console.log(
      `  repeat run with nothing new (${count} files): ${noop.value.state} in ${noop.seconds.toFixed(2)} s`,
    );
  };

  const folderTarget = new FolderTarget(path.join(work, 'folder-target'));
  if (!noopOnly) await measure('folder', folderTarget, 2);
  fs.rmSync(path.join(work, 'folder-target'), { recursive: true, force: true });

  const s3 = await startS3rverProcess(path.join(work, 's3rver'));
  const s3Target = new S3Target({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'bench',
    prefix: 'site/',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  try {
    if (!noopOnly) await measure('s3 (s3rver, separate process; its CPU not counted)', s3Target, 4);
  } finally {
    s3Target.dispose();
    s3.stop();
  }
  fs.rmSync(path.join(work, 's3rver'), { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });

  // No-op decision over 100,000 segment files: the files are hard links of one segment (so the disk holds 1), the
  // previous backup's manifest lists all of them as they are; the run must find nothing to do.
  const N = 100_000;
  const bigData = path.join(work, 'big');
  // A file system allows some tens of thousands of links per file: spread them over a few copies.
  const linkSources = [0, 1, 2, 3].map((i) => {
    const copy = path.join(segDir, `link-source-${i}.mp4`);
    fs.copyFileSync(seg, copy);
    return copy;
  });
  for (let i = 0; i < N; i++) {
    const dir = path.join(bigData, 'recordings', `cam${i % 16}`, String(Math.floor(i / 5000)));
    if (i % 5000 < 16) fs.mkdirSync(dir, { recursive: true });
    fs.linkSync(
      linkSources[i % linkSources.length] as string,
      path.join(dir, `${1_700_000_000_000 + i * 10_000}.mp4`),
    );
  }
  const scanned = await scanDataDir(bigData);
  const manifest: BackupManifest = {
    format: 'vigil-backup/1',
    id: '20260101T000000000Z-000000',
    jobId: 'big',
    startedAt: 0,
    finishedAt: 1,
    files: scanned.map((s) => ({
      path: s.path,
      size: s.size,
      sha256: 'a'.repeat(64),
      mtimeMs: s.mtimeMs,
      kind: s.kind,
      object: `files/${s.path}~${s.mtimeMs}-${s.size}`,
    })),
    totalBytes: scanned.reduce((a, s) => a + s.size, 0),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  for (const [label, target] of [['folder', new FolderTarget(path.join(work, 'big-folder'))]] as const) {
    await putBuffer(target, manifestKey(manifest.id), manifestBytes);
    execFileSync('sh', ['-c', 'sync; echo 2 > /proc/sys/vm/drop_caches 2>/dev/null || true']);
    const r = await cpuPercent(() => runBackup({ dataDir: bigData, target, jobId: 'big', targetId: label }));
    console.log(
      `incremental no-op over ${N} segment files (manifest ${(manifestBytes.length / 1e6).toFixed(1)} MB on the ${label} target): ${r.value.state}, decided in ${r.seconds.toFixed(2)} s (target < 10 s)`,
    );
  }
  const s3b = await startS3rverProcess(path.join(work, 's3rver-big'));
  const s3big = new S3Target({
    endpoint: s3b.endpoint,
    region: 'us-east-1',
    bucket: 'bench',
    prefix: 'site/',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  try {
    await putBuffer(s3big, manifestKey(manifest.id), manifestBytes);
    const r = await cpuPercent(() =>
      runBackup({ dataDir: bigData, target: s3big, jobId: 'big', targetId: 's3' }),
    );
    console.log(
      `incremental no-op over ${N} segment files on the S3 target (s3rver): ${r.value.state}, decided in ${r.seconds.toFixed(2)} s`,
    );
  } finally {
    s3big.dispose();
    s3b.stop();
  }
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }));
