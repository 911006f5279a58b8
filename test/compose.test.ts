import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, YAMLSeq, type CollectionTag } from 'yaml';
import { VigilConfig } from '../backend/src/contract/config.js';
import { Topics } from '../backend/src/contract/bus.js';

// Docker cannot run here: these checks catch what would make `docker compose up` fail before any container starts
// (bad YAML, a missing file, an undefined variable, a dependency on a service without a healthcheck).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE = path.join(ROOT, 'compose');

// Compose's `!reset []` clears a list inherited from the main file.
const resetTag: CollectionTag = {
  tag: '!reset',
  collection: 'seq',
  nodeClass: YAMLSeq,
  resolve: (seq) => seq,
};
const load = (file: string) =>
  parse(fs.readFileSync(path.join(COMPOSE, file), 'utf8'), { merge: true, customTags: [resetTag] }) as {
    services: Record<string, Service>;
    volumes?: Record<string, unknown>;
    secrets?: Record<string, unknown>;
  };

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  healthcheck?: { test: unknown };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  env_file?: string | string[];
  secrets?: string[];
  command?: string[];
}

const main = load('docker-compose.yml');
const kafka3 = load('docker-compose.kafka-3.yml');
const envExample = new Set(
  fs
    .readFileSync(path.join(COMPOSE, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => l.split('=')[0]),
);

describe('compose stack files', () => {
  it('has every service of the stack, each with a healthcheck unless it is a one-shot setup job', () => {
    const names = Object.keys(main.services);
    for (const s of [
      'kafka',
      'elasticsearch',
      'kibana',
      'kibana-import',
      'namenode',
      'datanode',
      'redis',
      'minio',
    ])
      expect(names).toContain(s);
    for (const s of ['prometheus', 'grafana', 'vigil-ingest', 'vigil-detect', 'vigil-events', 'vigil-api'])
      expect(names).toContain(s);
    // A job awaited with service_completed_successfully must not restart; every long-running service has a healthcheck.
    for (const svc of Object.values(main.services))
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {}))
        if (condition === 'service_completed_successfully')
          expect(main.services[dep]?.restart, dep).toBe('no');
    for (const [name, svc] of Object.entries(main.services))
      if (svc.restart !== 'no') expect(svc.healthcheck, `${name} has a healthcheck`).toBeDefined();
    expect(Object.keys(kafka3.services).sort()).toEqual(['kafka', 'kafka-2', 'kafka-3', 'kafka-topics']);
  });

  it('creates the settings topic compacted before any Vigil role starts', () => {
    const job = main.services['kafka-topics'];
    const command = JSON.stringify(job?.command ?? '');
    expect(command).toContain(`--topic ${Topics.settings}`);
    expect(command).toContain('cleanup.policy=compact');
    for (const role of ['vigil-ingest', 'vigil-detect', 'vigil-events', 'vigil-api'])
      expect(main.services[role]?.depends_on?.['kafka-topics']?.condition, role).toBe(
        'service_completed_successfully',
      );
  });

  it('depends only on services that exist, and waits for health only where a healthcheck exists', () => {
    for (const [name, svc] of Object.entries(main.services))
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(main.services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(main.services[dep]?.healthcheck, dep).toBeDefined();
      }
  });

  it('references only files that exist and variables that .env.example defines', () => {
    for (const [file, doc] of [
      ['docker-compose.yml', main],
      ['docker-compose.kafka-3.yml', kafka3],
    ] as const) {
      for (const [name, svc] of Object.entries(doc.services)) {
        for (const v of svc.volumes ?? []) {
          const src = v.split(':')[0] as string;
          if (src.startsWith('.'))
            expect(fs.existsSync(path.join(COMPOSE, src)), `${name}: ${src}`).toBe(true);
          else expect(doc.volumes ?? main.volumes, `${name}: named volume ${src}`).toHaveProperty(src);
        }
        for (const e of [svc.env_file ?? []].flat()) {
          const f = e === '.env' ? '.env.example' : e;
          expect(fs.existsSync(path.join(COMPOSE, f)), `${name}: ${f}`).toBe(true);
        }
        if (svc.build) {
          expect(fs.existsSync(path.join(COMPOSE, svc.build.context, svc.build.dockerfile))).toBe(true);
        }
        for (const s of svc.secrets ?? []) expect(main.secrets).toHaveProperty(s);
      }
      const text = fs.readFileSync(path.join(COMPOSE, file), 'utf8');
      for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) expect(envExample, m[1]).toContain(m[1]);
    }
    expect(envExample).toContain('VIGIL_API_TOKEN');
  });

  it('gives the Vigil roles a configuration the config schema accepts, with secrets only from the environment', () => {
    const text = fs.readFileSync(path.join(COMPOSE, 'vigil/cluster.yaml'), 'utf8');
    const config = VigilConfig.parse(parse(text));
    expect(config.cluster.bus.kind).toBe('kafka');
    expect(config.cluster.eventStore.kind).toBe('elasticsearch');
    expect(config.cluster.videoStore.kind).toBe('hdfs');
    for (const env of [config.cluster.eventStore.passwordEnv, config.cluster.redis.passwordEnv])
      expect(envExample).toContain(env);
    expect(text).not.toMatch(/password:\s*\S/i);
    for (const role of ['ingest', 'detect', 'events', 'api'])
      expect(main.services[`vigil-${role}`]?.command?.slice(0, 2)).toEqual(['role', role]);
  });

  it('imports a Kibana data view, the "Vigil detections" dashboard and saved searches whose references resolve', () => {
    const lines = fs
      .readFileSync(path.join(COMPOSE, 'kibana/saved-objects.ndjson'), 'utf8')
      .trim()
      .split('\n');
    const objects = lines.map(
      (l) =>
        JSON.parse(l) as {
          type: string;
          id: string;
          attributes: Record<string, unknown>;
          references: Array<{ type: string; id: string }>;
        },
    );
    const ids = new Set(objects.map((o) => `${o.type}:${o.id}`));
    expect(objects.find((o) => o.type === 'index-pattern')?.attributes.timeFieldName).toBe('@timestamp');
    expect(objects.find((o) => o.type === 'dashboard')?.attributes.title).toBe('Vigil detections');
    expect(objects.filter((o) => o.type === 'search').length).toBeGreaterThanOrEqual(2);
    for (const o of objects)
      for (const r of o.references) expect(ids, `${o.id} → ${r.id}`).toContain(`${r.type}:${r.id}`);
    for (const o of objects)
      for (const v of Object.values(o.attributes))
        if (typeof v === 'string' && v.startsWith('{')) expect(() => JSON.parse(v)).not.toThrow();
  });

  it('provisions a Grafana dashboard on the Prometheus data source that scrapes the Vigil roles', () => {
    const dash = JSON.parse(
      fs.readFileSync(path.join(COMPOSE, 'grafana/dashboards/vigil-overview.json'), 'utf8'),
    ) as {
      panels: Array<{ datasource: { uid: string }; targets: Array<{ expr: string }> }>;
    };
    const ds = parse(
      fs.readFileSync(path.join(COMPOSE, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    expect(dash.panels.length).toBeGreaterThan(0);
    for (const p of dash.panels) {
      expect(p.datasource.uid).toBe(ds.datasources[0]?.uid);
      for (const t of p.targets) expect(t.expr).toMatch(/vigil_[a-z_]+/);
    }
    const prom = parse(fs.readFileSync(path.join(COMPOSE, 'prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{
        static_configs?: Array<{ targets: string[] }>;
        dns_sd_configs?: Array<{ names: string[] }>;
      }>;
    };
    const targets = prom.scrape_configs.flatMap((c) => [
      ...(c.static_configs ?? []).flatMap((s) => s.targets.map((t) => t.split(':')[0])),
      ...(c.dns_sd_configs ?? []).flatMap((d) => d.names),
    ]);
    for (const t of targets) expect(main.services, `scrape target ${t}`).toHaveProperty(t as string);
  });

  it('ships setup scripts that are valid shell', () => {
    for (const f of ['elasticsearch/setup.sh', 'kibana/import.sh'])
      expect(spawnSync('sh', ['-n', path.join(COMPOSE, f)]).status, f).toBe(0);
  });
});
