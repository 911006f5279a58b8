import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Kibana cannot run here: the import script runs under the real `sh` with a `curl` on PATH that answers the status
// check and keeps the uploaded file, so the test sees exactly what Kibana would receive.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kibana-import-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runImport(configYaml: string | undefined): { title: string; ids: string[]; out: string } {
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const uploaded = path.join(tmp, 'uploaded.ndjson');
  fs.rmSync(uploaded, { force: true });
  // A curl that answers /api/status as an available Kibana and copies the `--form file=@…` upload.
  fs.writeFileSync(
    path.join(bin, 'curl'),
    `#!/bin/sh
for a in "$@"; do
  case "$a" in
    */api/status) echo '{"status":{"overall":{"level":"available"}}}'; exit 0 ;;
    file=@*) f=\${a#file=@}; cp "\${f%%;*}" "${uploaded}" ;;
  esac
done
echo '{"success":true}'
`,
    { mode: 0o755 },
  );
  const config = path.join(tmp, 'cluster.yaml');
  if (configYaml !== undefined) fs.writeFileSync(config, configYaml);
  else fs.rmSync(config, { force: true });
  const r = spawnSync('sh', [path.join(ROOT, 'compose/kibana/import.sh')], {
    env: {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      ELASTIC_PASSWORD: 'x',
      VIGIL_CONFIG: config,
      SAVED_OBJECTS: path.join(ROOT, 'compose/kibana/saved-objects.ndjson'),
    },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const objects = fs
    .readFileSync(uploaded, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; id: string; attributes: { title: string } });
  const view = objects.find((o) => o.type === 'index-pattern');
  return { title: view?.attributes.title ?? '', ids: objects.map((o) => o.id), out: r.stdout };
}

describe('Kibana saved-objects import (compose/kibana/import.sh under sh, curl stubbed)', () => {
  it('titles the data view after the configured index prefix', () => {
    const r = runImport(
      'cluster:\n  eventStore:\n    kind: elasticsearch\n    indexPrefix: acme_site-2\n    retentionDays: 90\n',
    );
    expect(r.title).toBe('acme_site-2-events*');
    expect(r.ids).toContain('vigil-detections'); // the dashboard and its references are unchanged
    expect(r.out).toContain('data view acme_site-2-events*');
  });

  it('uses the default prefix "vigil" when the configuration names none or is absent', () => {
    expect(runImport('cluster:\n  eventStore:\n    kind: elasticsearch\n').title).toBe('vigil-events*');
    expect(runImport(undefined).title).toBe('vigil-events*');
    expect(runImport("cluster:\n  eventStore:\n    indexPrefix: 'quoted'\n").title).toBe('quoted-events*');
  });
});
