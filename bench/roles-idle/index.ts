// Idle footprint of each cluster role, the figures behind the resource requests in deploy/k8s: every role started
// as deployed (`vigil role <name> --config …`, under `node --import tsx` like the image's entry point) with the
// Kubernetes configuration's settings that matter here (no camera, one detector worker, the Kafka bus, Redis), on
// librdkafka's mock Kafka cluster and the local Redis; the event and video stores are the embedded ones (no
// Elasticsearch or HDFS here). After a warm-up, resident memory (with child processes) and CPU time are sampled.
//
// Figures: per role, RSS median and peak during the window, the kernel's high-water mark since start (VmHWM), and
// CPU in millicores averaged over the window.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startKafka } from '../../test/fixtures/kafka.js';
import { machineLine } from '../machine.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'backend/src/roles/cli.ts');
const ROLES = ['ingest', 'detect', 'events', 'api'] as const;
const WARMUP_MS = Number(process.env.VIGIL_BENCH_WARMUP_MS ?? 60_000);
const WINDOW_MS = Number(process.env.VIGIL_BENCH_WINDOW_MS ?? 180_000);
const SAMPLE_MS = 2000;
const TICK = 100; // USER_HZ of Linux /proc/<pid>/stat times

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The pid and all its descendants (ffmpeg under ingest, for one). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const children = fs.readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (children) out.push(...children.split(' ').map(Number));
    } catch {
      // Gone.
    }
  }
  return out;
}

function statusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** CPU time (ticks) of a process, its threads and its waited-for children. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14–17 (utime, stime, cutime, cstime) are at 11–14 after the command name.
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

const mb = (kb: number) => Math.round(kb / 1024);

async function main(): Promise<void> {
  console.log(machineLine());
  const kafka = await startKafka({ partitions: 12 });
  const procs = new Map<string, ChildProcess>();
  const homes: string[] = [];
  try {
    for (const role of ROLES) {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-idle-${role}-`));
      homes.push(home);
      const config = {
        dataDir: home,
        cameras: [],
        server: { port: await freePort() },
        detect: { workers: 1 },
        cluster: {
          bus: kafka.busConfig(),
          redis: { url: 'redis://127.0.0.1:6379' },
          metricsPort: await freePort(),
        },
      };
      const file = path.join(home, 'cluster.yaml');
      fs.writeFileSync(file, YAML.stringify(config));
      const proc = fork(CLI, ['role', role, '--config', file], {
        execArgv: ['--import', 'tsx'],
        cwd: ROOT,
        env: { ...process.env, VIGIL_HOME: home, VIGIL_API_TOKEN: `idle-bench-${role}-token` },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let err = '';
      proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${role} not ready:\n${err}`)), 90_000);
        proc.on('message', (m: { type?: string }) => {
          if (m.type === 'ready') {
            clearTimeout(t);
            resolve();
          }
        });
        proc.once('exit', (code) => reject(new Error(`${role} exited ${code}:\n${err}`)));
      });
      procs.set(role, proc);
      console.log(`${role}: ready (pid ${proc.pid})`);
    }
    console.log(`warm-up ${WARMUP_MS / 1000} s, then sampling for ${WINDOW_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const start = new Map([...procs].map(([r, p]) => [r, cpuTicks(p.pid!)]));
    const rss = new Map<string, number[]>(ROLES.map((r) => [r, []]));
    const t0 = Date.now();
    while (Date.now() - t0 < WINDOW_MS) {
      for (const [role, p] of procs)
        rss.get(role)!.push(tree(p.pid!).reduce((n, pid) => n + statusKb(pid, 'VmRSS'), 0));
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
    const seconds = (Date.now() - t0) / 1000;
    console.log('\nrole      rss median  rss peak    VmHWM   cpu (millicores, window average)');
    for (const [role, p] of procs) {
      const samples = [...rss.get(role)!].sort((a, b) => a - b);
      const median = samples[Math.floor(samples.length / 2)] ?? 0;
      const peak = samples.at(-1) ?? 0;
      const hwm = statusKb(p.pid!, 'VmHWM');
      const cpu = ((cpuTicks(p.pid!) - start.get(role)!) / TICK / seconds) * 1000;
      console.log(
        `${role.padEnd(8)} ${`${mb(median)} MiB`.padStart(10)} ${`${mb(peak)} MiB`.padStart(9)} ${`${mb(hwm)} MiB`.padStart(7)}   ${cpu.toFixed(1)}m`,
      );
    }
  } finally {
    for (const p of procs.values()) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 3000));
    for (const p of procs.values()) if (p.exitCode === null) p.kill('SIGKILL');
    await kafka.stop();
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  }
}

await main();
