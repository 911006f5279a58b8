// @ts-check
/**
 * The layer rule: folders say where code may run (see docs/ARCHITECTURE.md).
 *
 * - backend/src/contract: pure TypeScript; imports other contract files and an allowlist of pure packages only.
 * - backend/src (other folders): plain Node; never electron, react or main/ or renderer/ code; test/ (contract
 *   suites, fixtures) only from *.test.ts files, so the build never carries test code; nothing from
 *   backend/src/roles (the composition sits on top; tests may start it).
 * - renderer: browser; no Node module, no electron, backend code only from backend/src/contract.
 * - main: Electron; backend code only from backend/src/contract and backend/src/roles.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Packages the contract may use: pure, isomorphic, no I/O. */
const CONTRACT_PACKAGES = new Set(['zod']);
const UI_PACKAGES = ['react', 'react-dom', 'recharts'];
const TEST_FILE = /\.test\.tsx?$/;

/** @param {string} file */
function layerOf(file) {
  const rel = path.relative(process.cwd(), file).split(path.sep).join('/');
  if (rel.startsWith('backend/src/contract/')) return 'contract';
  if (rel.startsWith('backend/')) return 'backend';
  if (rel.startsWith('renderer/')) return 'renderer';
  if (rel.startsWith('main/')) return 'main';
  return undefined;
}

/** @param {string} spec */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec);
}

/**
 * @param {string} layer
 * @param {string} spec
 * @param {string} file
 * @returns {string | undefined} why the import is forbidden
 */
export function checkImport(layer, spec, file) {
  const relative = spec.startsWith('.') || spec.startsWith('/');
  if (!relative) {
    const pkg = packageName(spec);
    switch (layer) {
      case 'contract':
        return CONTRACT_PACKAGES.has(pkg)
          ? undefined
          : `backend/src/contract is pure: it may import only other contract files and ${[...CONTRACT_PACKAGES].join(', ')}, not '${spec}'`;
      case 'backend':
        if (pkg === 'electron' || UI_PACKAGES.includes(pkg))
          return `backend code must not import '${spec}' (it runs in plain Node)`;
        return undefined;
      case 'renderer':
        if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(pkg))
          return `renderer code runs in the browser: Node module '${spec}' is forbidden`;
        if (pkg === 'electron') return `renderer code must not import 'electron'; use the preload API`;
        return undefined;
      default:
        return undefined;
    }
  }
  const target = path
    .relative(process.cwd(), path.resolve(path.dirname(file), spec))
    .split(path.sep)
    .join('/');
  const inContract = target.startsWith('backend/src/contract/') || target === 'backend/src/contract';
  switch (layer) {
    case 'contract':
      return inContract
        ? undefined
        : `backend/src/contract may import only other contract files, not '${spec}'`;
    case 'backend': {
      if (target.startsWith('main/') || target.startsWith('renderer/'))
        return `backend code must not import from main/ or renderer/ ('${spec}')`;
      if (target.startsWith('test/') && !TEST_FILE.test(file))
        return `only tests may import test code (contract suites, fixtures), not shipped backend code ('${spec}')`;
      const from = path.relative(process.cwd(), file).split(path.sep).join('/');
      if (
        target.startsWith('backend/src/roles/') &&
        !from.startsWith('backend/src/roles/') &&
        !from.endsWith('.test.ts')
      )
        return `only backend/src/roles composes the stages: a capability must not import from it ('${spec}')`;
      return undefined;
    }
    case 'renderer':
      if (target.startsWith('backend/') && !inContract)
        return `renderer may import backend code only from backend/src/contract, not '${spec}'`;
      if (target.startsWith('main/')) return `renderer must not import main-process code ('${spec}')`;
      return undefined;
    case 'main':
      if (target.startsWith('backend/') && !inContract && !target.startsWith('backend/src/roles/'))
        return `main may import backend code only from backend/src/contract and backend/src/roles, not '${spec}'`;
      if (target.startsWith('renderer/')) return `main must not import renderer code ('${spec}')`;
      return undefined;
    default:
      return undefined;
  }
}

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Rejects imports that cross a process layer (Bad layering).' },
    schema: [],
    messages: { badLayering: 'Bad layering: {{why}}' },
  },
  create(context) {
    const layer = layerOf(context.filename);
    if (!layer) return {};
    /** @param {import('estree').Node} node @param {unknown} source */
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      const why = checkImport(layer, source, context.filename);
      if (why) context.report({ node, messageId: 'badLayering', data: { why } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') {
          const arg = node.arguments[0];
          if (arg?.type === 'Literal') check(node, arg.value);
        }
      },
    };
  },
};

export default { rules: { layers: layersRule } };
