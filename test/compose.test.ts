import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
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
  environment?: Record<string, string | number>;
  ports?: string[];
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
    expect(Object.keys(kafka3.services).sort()).toEqual([
      'kafka',
      'kafka-2',
      'kafka-3',
      'vigil-api',
      'vigil-detect',
      'vigil-events',
      'vigil-ingest',
    ]);
  });

  it('leaves topic creation to the roles (auto-creation off, as on a managed cluster), one replica per broker available', () => {
    const one = VigilConfig.parse(parse(fs.readFileSync(path.join(COMPOSE, 'vigil/cluster.yaml'), 'utf8')));
    const three = VigilConfig.parse(
      parse(fs.readFileSync(path.join(COMPOSE, 'vigil/cluster-3-brokers.yaml'), 'utf8')),
    );
    for (const [env, config, brokers] of [
      [main.services.kafka?.environment, one, 1],
      [{ ...main.services.kafka?.environment, ...kafka3.services['kafka-2']?.environment }, three, 3],
    ] as const) {
      expect(env?.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
      expect(config.cluster.bus.topics.manage).toBe('create');
      expect(config.cluster.bus.topics.replicationFactor).toBe(brokers);
      expect(config.cluster.bus.brokers).toHaveLength(brokers);
    }
    // The 3-broker file hands the roles its own config, and they wait for every broker.
    for (const role of ['vigil-ingest', 'vigil-detect', 'vigil-events', 'vigil-api']) {
      expect(kafka3.services[role]?.volumes).toEqual([
        './vigil/cluster-3-brokers.yaml:/etc/vigil/cluster.yaml:ro',
      ]);
      expect(Object.keys(kafka3.services[role]?.depends_on ?? {}).sort()).toEqual(['kafka-2', 'kafka-3']);
      expect(main.services[role]?.depends_on?.kafka?.condition).toBe('service_healthy');
    }
    expect(Object.values(Topics)).toContain(one.cluster.bus.topicPrefix + Topics.settings);
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
    // Each variable the config names is handed to the roles that read it.
    for (const role of ['events', 'api'])
      for (const env of [
        config.cluster.eventStore.usernameEnv,
        config.cluster.eventStore.passwordEnv,
        config.cluster.redis.passwordEnv,
      ])
        expect(main.services[`vigil-${role}`]?.environment, role).toHaveProperty(env as string);
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

  // apache/kafka image (docker/resources/common-scripts/configureDefaults in apache/kafka): without KAFKA_LOG_DIRS the
  // broker keeps its data in /tmp/kraft-combined-logs, and without CLUSTER_ID the default id is used; the image
  // creates /var/lib/kafka/data owned by its user appuser (docker/jvm/Dockerfile: `chown appuser ... /var/lib/kafka`).
  it("keeps every Kafka broker's data on its volume, under one fixed cluster id", () => {
    const brokers = {
      kafka: { ...main.services.kafka, environment: main.services.kafka?.environment },
      'kafka-2': kafka3.services['kafka-2'],
      'kafka-3': kafka3.services['kafka-3'],
    };
    const ids = new Set<unknown>();
    for (const [name, svc] of Object.entries(brokers)) {
      const env = { ...main.services.kafka?.environment, ...svc?.environment };
      expect(env.KAFKA_LOG_DIRS, name).toBe('/var/lib/kafka/data');
      expect(
        svc?.volumes?.map((v) => v.split(':')[1]),
        name,
      ).toContain(env.KAFKA_LOG_DIRS);
      ids.add(env.CLUSTER_ID);
    }
    expect([...ids]).toHaveLength(1);
    expect([...ids][0]).toMatch(/^[A-Za-z0-9_-]{22}$/); // a base64 UUID, as kafka-storage.sh random-uuid prints
  });

  // The README points clients on the host at localhost:9094: every broker must advertise a listener they can reach.
  it('lets clients on the host reach every broker, with one broker or three', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(
      'VIGIL_TEST_KAFKA=localhost:9094',
    );
    expect(main.services.kafka?.ports).toContain('9094:9094');
    expect(main.services.kafka?.environment?.KAFKA_ADVERTISED_LISTENERS).toContain(
      'EXTERNAL://localhost:9094',
    );
    for (const [name, port] of [
      ['kafka', 9094],
      ['kafka-2', 9095],
      ['kafka-3', 9096],
    ] as const) {
      const svc = kafka3.services[name];
      const advertised = String(svc?.environment?.KAFKA_ADVERTISED_LISTENERS);
      expect(advertised, name).toContain(`EXTERNAL://localhost:${port}`);
      const published = [
        ...(svc?.ports ?? []),
        ...(name === 'kafka' ? (main.services.kafka?.ports ?? []) : []),
      ];
      expect(published, name).toContain(`${port}:9094`);
    }
  });

  // apache/hadoop image (Dockerfile of the docker-hadoop-runner base in apache/hadoop: `USER hadoop`, uid 1000,
  // `VOLUME /data`; scripts/starter.sh: `sudo chmod o+rwx /data`, then `hdfs namenode -format` only when
  // $ENSURE_NAMENODE_DIR does not exist yet). HDFS's superuser is the user the namenode runs as (HDFS Permissions
  // Guide, "The Super-User"), so only `hadoop` may create / folders and change their owner.
  it('formats the namenode on its first start and keeps HDFS data where the image user can write', () => {
    const hadoopEnv = Object.fromEntries(
      fs
        .readFileSync(path.join(COMPOSE, 'hadoop/hadoop.env'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const nameDir = hadoopEnv['HDFS-SITE.XML_dfs.namenode.name.dir'];
    const dataDir = hadoopEnv['HDFS-SITE.XML_dfs.datanode.data.dir'];
    expect(main.services.namenode?.environment?.ENSURE_NAMENODE_DIR).toBe(nameDir);
    for (const [svc, dir] of [
      ['namenode', nameDir],
      ['datanode', dataDir],
    ] as const) {
      expect(dir, svc).toMatch(/^\/data\//); // the folder the starter makes writable
      expect(
        main.services[svc]?.volumes?.map((v) => v.split(':')[1]),
        svc,
      ).toContain('/data');
    }
    expect(main.services['hdfs-init']?.environment?.HADOOP_USER_NAME).toBe('hadoop');
    expect(JSON.stringify(main.services['hdfs-init']?.command)).toMatch(/-chown vigil \/vigil/);
  });

  // Kibana image (src/dev/build/tasks/os_packages/docker_generator/resources/base/bin/kibana-docker in elastic/kibana):
  // each setting from the environment is appended to one string as `--name=value`, and that string is passed to
  // Kibana unquoted, so a value holding a space splits into two arguments and Kibana refuses its configuration.
  it('passes Kibana only settings its entrypoint can pass unquoted', () => {
    const env = main.services.kibana?.environment ?? {};
    expect(Object.keys(env).length).toBeGreaterThan(0);
    // Compose substitutes ${VAR} (from .env, whose values hold no spaces) before the entrypoint runs.
    for (const [k, v] of Object.entries(env))
      expect(String(v).replace(/\$\{[^}]*\}/g, 'value'), k).not.toMatch(/\s/);
    expect(env).not.toHaveProperty('SERVER_CUSTOMRESPONSEHEADERS');
  });

  it("gives each Vigil role only its own secrets, and Elasticsearch users limited to Vigil's indices", () => {
    for (const [name, svc] of Object.entries(main.services))
      expect([svc.env_file ?? []].flat(), `${name} gets the whole .env`).not.toContain('.env');
    const env = (role: string) => main.services[`vigil-${role}`]?.environment ?? {};
    expect(Object.keys(env('detect'))).toEqual([]);
    expect(Object.keys(env('ingest'))).toEqual(['VIGIL_API_TOKEN']);
    expect(Object.keys(env('events')).sort()).toEqual([
      'REDIS_PASSWORD',
      'VIGIL_ES_PASSWORD',
      'VIGIL_ES_USER',
    ]);
    expect(Object.keys(env('api')).sort()).toEqual([
      'REDIS_PASSWORD',
      'VIGIL_API_TOKEN',
      'VIGIL_ES_PASSWORD',
      'VIGIL_ES_USER',
    ]);
    expect([env('events').VIGIL_ES_USER, env('api').VIGIL_ES_USER]).toEqual(['vigil_events', 'vigil_api']);
    expect(env('events').VIGIL_ES_PASSWORD).not.toBe(env('api').VIGIL_ES_PASSWORD);
    const config = VigilConfig.parse(
      parse(fs.readFileSync(path.join(COMPOSE, 'vigil/cluster.yaml'), 'utf8')),
    );
    expect([config.cluster.eventStore.usernameEnv, config.cluster.eventStore.passwordEnv]).toEqual([
      'VIGIL_ES_USER',
      'VIGIL_ES_PASSWORD',
    ]);
    // The users exist with roles whose index privileges name only Vigil's indices.
    const setup = fs.readFileSync(path.join(COMPOSE, 'elasticsearch/setup.sh'), 'utf8');
    for (const user of ['vigil_events', 'vigil_api']) {
      expect(setup).toContain(`/_security/user/${user}`);
      const role = setup.match(new RegExp(`_security/role/${user} -d '([^']+)'`))?.[1];
      const body = JSON.parse(role ?? '{}') as { indices: Array<{ names: string[] }> };
      expect(body.indices.flatMap((i) => i.names)).toEqual([`${config.cluster.eventStore.indexPrefix}-*`]);
    }
  });

  it('builds the app image in stages, with the web UI and the optional platform binaries of sharp and esbuild', () => {
    const dockerfile = fs.readFileSync(path.join(COMPOSE, 'vigil/Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM \S+(?: AS (\S+))?$/gm)].map((m) => m[1] ?? '(final)');
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // npm's --omit=optional drops @img/sharp-linux-* (libvips) and @esbuild/linux-* (needed by tsx).
    const runs = dockerfile.split('\n').filter((l) => !l.startsWith('#'));
    expect(runs.join('\n')).not.toMatch(/--omit[= ]optional/);
    expect(dockerfile).toMatch(/require\('sharp'\)/);
    expect(dockerfile).toMatch(/require\('esbuild'\)/);
    expect(dockerfile).toMatch(/RUN npm run build:renderer/);
    // The api role serves the UI from <install dir>/dist/renderer (roles/api.ts).
    expect(dockerfile).toMatch(/^COPY --from=build \/opt\/vigil\/dist\/renderer \.\/dist\/renderer$/m);
    expect(fs.readFileSync(path.join(ROOT, 'backend/src/roles/api.ts'), 'utf8')).toContain(
      "path.join(INSTALL_DIR, 'dist', 'renderer')",
    );
    // The final image runs as an unprivileged user that owns its data folder.
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/chown node:node \/var\/lib\/vigil/);
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', '.git', 'dist', 'compose/.env']) expect(ignored).toContain(p);
  });

  it('fails the Kibana import job when Kibana answers HTTP 200 with "success":false', () => {
    // A stand-in for curl on the PATH: Kibana available, then the import answer under test.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kibana-import-'));
    fs.writeFileSync(
      path.join(bin, 'curl'),
      [
        '#!/bin/sh',
        'case "$*" in',
        '  *api/status*) echo \'{"status":{"overall":{"level":"available"}}}\' ;;',
        '  *_import*) echo "$IMPORT_ANSWER" ;;',
        'esac',
      ].join('\n'),
      { mode: 0o755 },
    );
    const run = (answer: string) =>
      spawnSync('sh', [path.join(COMPOSE, 'kibana/import.sh')], {
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          ELASTIC_PASSWORD: 'x',
          IMPORT_ANSWER: answer,
          SAVED_OBJECTS: path.join(COMPOSE, 'kibana/saved-objects.ndjson'),
        },
        encoding: 'utf8',
      });
    try {
      const refused = run(
        '{"success":false,"successCount":0,"errors":[{"id":"vigil-detections","error":{"type":"missing_references"}}]}',
      );
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('Kibana refused some saved objects');
      const imported = run('{"success":true,"successCount":5}');
      expect(imported.status).toBe(0);
      expect(imported.stdout).toContain('Kibana saved objects imported');
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('ships setup scripts that are valid shell', () => {
    for (const f of ['elasticsearch/setup.sh', 'kibana/import.sh'])
      expect(spawnSync('sh', ['-n', path.join(COMPOSE, f)]).status, f).toBe(0);
  });
});
