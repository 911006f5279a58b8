import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { kafkaGroupId } from '../backend/src/bus/kafka-bus.js';
import { Topics } from '../backend/src/contract/bus.js';
import { VigilConfig } from '../backend/src/contract/config.js';
import { ROLE_GROUPS } from '../backend/src/bus/create.js';
import { ROLE_NAMES } from '../backend/src/roles/role.js';

// kubectl cannot run here: the manifests are built with the few Kustomize features they use (resources,
// configMapGenerator, replicas, namespace, labels, JSON 6902 patches; https://kubectl.docs.kubernetes.io/references/kustomize/)
// and every object is validated offline against the Kubernetes JSON schemas of the `kubernetes-models` package
// (generated from the Kubernetes OpenAPI spec) and KEDA's CRD schema (`@kubernetes-models/keda`).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K8S = path.join(ROOT, 'deploy/k8s');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  [k: string]: unknown;
};
interface Kustomization {
  namespace?: string;
  resources?: string[];
  labels?: Array<{ pairs: Record<string, string> }>;
  replicas?: Array<{ name: string; count: number }>;
  configMapGenerator?: Array<{ name: string; behavior?: string; files: string[] }>;
  patches?: Array<{ target: { kind: string; name: string }; patch: string }>;
}

function applyJsonPatch(obj: Obj, ops: Array<{ op: string; path: string; value?: unknown }>): void {
  for (const { op, path: p, value } of ops) {
    const keys = p.split('/').slice(1);
    const last = keys.pop() as string;
    let at = obj as Record<string, unknown>;
    for (const k of keys) at = at[k] as Record<string, unknown>;
    if (op === 'replace' && !(last in at)) throw new Error(`patch ${p}: nothing to replace`);
    if (op === 'replace' || op === 'add') at[last] = value;
    else throw new Error(`patch op ${op} is not used here`);
  }
}

/** `kubectl kustomize <dir>` for the features these manifests use. */
function build(dir: string): Obj[] {
  const k = parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  let objs: Obj[] = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (fs.statSync(p).isDirectory()) objs.push(...build(p));
    else objs.push(...parseAllDocuments(fs.readFileSync(p, 'utf8')).map((d) => d.toJS() as Obj));
  }
  for (const g of k.configMapGenerator ?? []) {
    const cm: Obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: g.name },
      data: Object.fromEntries(
        g.files.map((f) => [path.basename(f), fs.readFileSync(path.join(dir, f), 'utf8')]),
      ),
    };
    if (g.behavior === 'replace') {
      const i = objs.findIndex((o) => o.kind === 'ConfigMap' && o.metadata.name === g.name);
      expect(i, `configMapGenerator ${g.name} replaces a generated ConfigMap`).toBeGreaterThanOrEqual(0);
      objs[i] = cm;
    } else objs.push(cm);
  }
  for (const r of k.replicas ?? []) {
    const d = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === r.name);
    expect(d, `replicas for ${r.name}`).toBeDefined();
    (d as unknown as { spec: { replicas: number } }).spec.replicas = r.count;
  }
  for (const p of k.patches ?? []) {
    const target = objs.find((o) => o.kind === p.target.kind && o.metadata.name === p.target.name);
    expect(target, `patch target ${p.target.kind}/${p.target.name}`).toBeDefined();
    applyJsonPatch(target as Obj, parse(p.patch) as Array<{ op: string; path: string; value?: unknown }>);
  }
  for (const l of k.labels ?? [])
    objs = objs.map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...l.pairs } },
    }));
  if (k.namespace) objs = objs.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  return objs;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

interface Container {
  args: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: { cpu: string; memory: string }; limits?: { memory: string } };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
/** Mebibytes of a Kubernetes memory quantity (Mi, Gi). */
function mebibytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: write it in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/** Millicores of a Kubernetes CPU quantity (500m, 1). */
function millicores(q: string | number): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
}

/**
 * The idle footprint measured by bench/roles-idle, as noted above the role's resources in its base manifest
 * ("... high-water mark 167 MiB; CPU 59m").
 */
function measuredIdle(role: string): { hwmMiB: number; cpuM: number } {
  const text = fs.readFileSync(path.join(K8S, 'base', `${role}.yaml`), 'utf8');
  const comment = text
    .split('\n')
    .filter((l) => l.trim().startsWith('#'))
    .map((l) => l.trim().slice(1).trim())
    .join(' ');
  const m = /Idle, measured by bench\/roles-idle .*?high-water mark (\d+) MiB; CPU (\d+(?:\.\d+)?)m/.exec(
    comment,
  );
  if (!m) throw new Error(`${role}.yaml: no idle measurement noted above its resources`);
  return { hwmMiB: Number(m[1]), cpuM: Number(m[2]) };
}

interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string> };
    spec: { containers: Container[]; volumes: Array<{ name: string; configMap?: { name: string } }> };
  };
}

for (const variant of ['base', 'overlays/small']) {
  describe(`Kubernetes manifests: ${variant}`, () => {
    const objs = build(path.join(K8S, variant));
    const find = (kind: string, name: string) =>
      objs.find((o) => o.kind === kind && o.metadata.name === name);

    it('validates every object against the Kubernetes (and KEDA) JSON schemas', () => {
      expect(objs.length).toBeGreaterThanOrEqual(10);
      for (const o of objs) {
        const Model = MODELS[`${o.apiVersion}/${o.kind}`];
        expect(Model, `a schema for ${o.apiVersion} ${o.kind}`).toBeDefined();
        expect(
          () => new (Model as new (d: unknown) => { validate(): void })(o).validate(),
          `${o.kind}/${o.metadata.name}`,
        ).not.toThrow();
      }
      // The validator has teeth: a probe port that is neither a number nor a name is refused.
      const broken = structuredClone(find('Deployment', 'vigil-api')) as unknown as { spec: DeploymentSpec };
      (broken.spec.template.spec.containers[0] as unknown as { ports: unknown[] }).ports = [
        { containerPort: 'http' },
      ];
      expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort must be integer/);
    });

    it('runs each role as `vigil role` expects: command, config file, ports, probes and secrets', () => {
      const configMap = find('ConfigMap', 'vigil-config');
      for (const role of ROLE_NAMES) {
        const d = find('Deployment', `vigil-${role}`) as unknown as { spec: DeploymentSpec } | undefined;
        expect(d, role).toBeDefined();
        const spec = (d as { spec: DeploymentSpec }).spec;
        const [c] = spec.template.spec.containers as [Container];
        expect(c.args.slice(0, 2), role).toEqual(['role', role]);
        const arg = (name: string) => {
          const i = c.args.indexOf(name);
          return i >= 0 ? c.args[i + 1] : undefined;
        };
        // --config names a file of the mounted ConfigMap, and that file is a configuration Vigil accepts.
        const configPath = arg('--config') as string;
        const mount = c.volumeMounts.find((m) => configPath.startsWith(`${m.mountPath}/`));
        const volume = spec.template.spec.volumes.find((v) => v.name === mount?.name);
        expect(volume?.configMap?.name, role).toBe('vigil-config');
        const text = configMap?.data?.[path.basename(configPath)];
        expect(text, `${role}: ${configPath} in the ConfigMap`).toBeDefined();
        const config = VigilConfig.parse(parse(text as string));
        expect(config.cluster.bus.kind).toBe('kafka');

        // Ports: the API port for api and ingest (--port, else server.port), cluster.metricsPort for the others.
        const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
        if (role === 'api' || role === 'ingest') {
          expect(arg('--host'), role).toBe('0.0.0.0');
          expect(ports.http, role).toBe(Number(arg('--port') ?? config.server.port));
        }
        if (role !== 'api') expect(ports.metrics, role).toBe(config.cluster.metricsPort);
        const probePort = role === 'api' ? 'http' : 'metrics';
        for (const probe of [c.readinessProbe, c.livenessProbe])
          expect(probe.httpGet, role).toEqual({ path: '/healthz', port: probePort });
        // Requests from the measured idle footprint: memory at least 1.5 × its high-water mark, CPU at least twice
        // the idle figure; the memory limit above the request.
        const idle = measuredIdle(role);
        const { requests, limits } = c.resources;
        expect(mebibytes(requests.memory), `${role} memory request`).toBeGreaterThanOrEqual(
          1.5 * idle.hwmMiB,
        );
        expect(millicores(requests.cpu), `${role} CPU request`).toBeGreaterThanOrEqual(2 * idle.cpuM);
        expect(mebibytes(limits?.memory ?? '0Mi'), `${role} memory limit`).toBeGreaterThan(
          mebibytes(requests.memory),
        );

        // Environment: what the role reads, secrets only from Kubernetes Secrets of the role's own.
        const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
        const needs: string[] = [];
        if (role === 'api' || role === 'ingest') needs.push('VIGIL_API_TOKEN');
        if (role === 'api' || role === 'events')
          needs.push(
            config.cluster.eventStore.usernameEnv as string,
            config.cluster.eventStore.passwordEnv as string,
            config.cluster.redis.passwordEnv as string,
          );
        expect(Object.keys(env).sort(), role).toEqual([...needs].sort());
        for (const [name, e] of Object.entries(env)) {
          if (/PASSWORD|TOKEN/.test(name)) {
            expect(e.value, `${role} ${name} in clear`).toBeUndefined();
            expect(e.valueFrom?.secretKeyRef?.name, `${role} ${name}`).toBe(`vigil-${role}`);
          }
        }

        // A PodDisruptionBudget selecting exactly this role's pods.
        const pdb = find('PodDisruptionBudget', `vigil-${role}`) as unknown as
          { spec: { selector: { matchLabels: Record<string, string> } } } | undefined;
        expect(pdb?.spec.selector.matchLabels, role).toEqual(spec.selector.matchLabels);
        expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
      }
    });

    it('scales detect by the consumer lag of its group on the frames topic, up to the partition count', () => {
      const config = VigilConfig.parse(
        parse(find('ConfigMap', 'vigil-config')?.data?.['cluster.yaml'] as string),
      );
      const so = find('ScaledObject', 'vigil-detect') as unknown as {
        spec: {
          scaleTargetRef: { name: string };
          maxReplicaCount: number;
          triggers: Array<{ type: string; metadata: Record<string, string> }>;
        };
      };
      expect(so.spec.scaleTargetRef.name).toBe('vigil-detect');
      const [trigger] = so.spec.triggers;
      const frames = config.cluster.bus.topicPrefix + Topics.frames;
      expect(trigger?.type).toBe('kafka');
      expect(trigger?.metadata).toMatchObject({
        topic: frames,
        consumerGroup: kafkaGroupId(ROLE_GROUPS.detect, frames),
        bootstrapServers: config.cluster.bus.brokers.join(','),
      });
      expect(so.spec.maxReplicaCount).toBeLessThanOrEqual(config.cluster.bus.topics.partitions);
    });
  });
}
