// Imported first by main.tsx, before any contract module builds its schemas. zod probes whether it may compile
// parsers with `new Function` when an object schema is built; under the app's Content-Security-Policy (no
// 'unsafe-eval') the probe is refused and reported as a violation. The renderer parses little, so it runs without
// compiled parsers and never probes.
import { config } from 'zod';

config({ jitless: true });
