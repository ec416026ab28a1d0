// Lint is the architecture's guard: each zone below is one dependency rule of docs/architecture.md.
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'
import { readdirSync } from 'node:fs'

const src = './server/src'
const folders = [
  'artifacts',
  'auth',
  'config',
  'domain',
  'environments',
  'events',
  'executor',
  'files',
  'http',
  'lib',
  'logs',
  'scheduler',
  'services',
  'store',
  'worker',
]
// What each folder of server/src may import besides itself (main.ts and cli.ts, the composition root, import anything).
const allowed = {
  lib: [],
  domain: ['lib'],
  config: ['domain', 'lib'],
  events: ['domain', 'lib'],
  files: ['domain', 'lib'],
  logs: ['domain', 'lib'],
  artifacts: ['domain', 'lib'],
  store: ['domain', 'lib'],
  executor: ['domain', 'lib'],
  environments: ['domain', 'lib'],
  auth: ['domain', 'lib', 'store'],
  services: ['domain', 'lib', 'events', 'auth', 'store', 'executor', 'environments', 'logs', 'artifacts'],
  scheduler: ['domain', 'lib', 'events', 'store', 'services'],
  worker: ['domain', 'lib', 'events', 'store', 'executor', 'environments', 'logs', 'services'],
  http: ['domain', 'lib', 'events', 'auth', 'services', 'config'],
}
const why = {
  lib: 'lib/ holds generic helpers with no Taskyard words.',
  domain: 'domain/ is pure: it imports only domain/ and lib/.',
  http: 'http/ parses, calls one service and shapes the reply: storage, processes and the worker only through services.',
  services:
    'services/ are use cases: they reach the worker through services/run-control.ts and the scheduler through deps.wakeScheduler, never worker/, scheduler/ or http/.',
  worker: 'worker/ drives services and adapters; it never reaches http/ or the scheduler.',
  scheduler: 'scheduler/ plans and fires schedules; it queues runs in the store and wakes the worker through services/run-control.ts, never worker/.',
}
const folderZones = Object.entries(allowed).flatMap(([folder, may]) =>
  folders
    .filter((other) => other !== folder && !may.includes(other))
    .map((other) => ({
      target: `${src}/${folder}`,
      from: `${src}/${other}`,
      message: why[folder] ?? `${folder}/ imports only ${may.map((m) => `${m}/`).join(', ') || 'itself'}.`,
    })),
)
// Adapters: outside its folder, only the contract file is imported; main.ts wires implementations.
const adapterZones = [
  ['store', 'store.ts'],
  ['executor', 'executor.ts'],
  ['environments', 'environments.ts'],
  ['logs', 'log-store.ts'],
  ['artifacts', 'artifact-store.ts'],
].map(([adapter, contract]) => ({
  target: `${src}/!(${adapter}|main.ts)/**`,
  from: `${src}/${adapter}`,
  except: [`./${contract}`],
  message: `Outside ${adapter}/ import only its contract file, ${adapter}/${contract}; main.ts wires implementations.`,
}))

const web = './web/src'
const webFeatures = readdirSync(new URL('./web/src/features', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
const webZones = [
  ...['components', 'lib', 'api'].map((folder) => ({
    target: `${web}/${folder}`,
    from: [`${web}/features`, `${web}/app`],
    message: `web/src/${folder}/ is shared below the features: it never imports features/ or app/.`,
  })),
  { target: `${web}/features`, from: `${web}/app`, message: 'features/ never import app/: the app composes the features.' },
  ...webFeatures.map((feature) => ({
    target: `${web}/features/${feature}`,
    from: webFeatures.filter((f) => f !== feature).map((f) => `${web}/features/${f}`),
    message: 'A feature never imports another feature: share through components/, lib/ or api/.',
  })),
  { target: './web', from: './server', message: 'The web UI never imports server code: openapi.json is its only view of the server.' },
]

/** Forbids the HTTP framework, SQL drivers and child_process in `files`: they reach those through contracts. */
function noDriverImports(files, message) {
  const names = ['fastify', 'kysely', 'pg', 'node:child_process', 'child_process']
  return { files, rules: { 'no-restricted-imports': ['error', { paths: names.map((name) => ({ name, message })) }] } }
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'web/dist/**', 'web/node_modules/**', 'web/src/api/schema.d.ts'] },
  {
    files: ['server/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { ecmaVersion: 'latest', sourceType: 'module', projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [...folderZones, ...adapterZones],
        },
      ],
    },
  },
  noDriverImports(['server/src/services/**/*.ts', 'server/src/domain/**/*.ts'], 'services/ and domain/ get processes, SQL and HTTP through their deps.'),
  noDriverImports(
    ['server/src/worker/**/*.ts', 'server/src/scheduler/**/*.ts'],
    'worker/ and scheduler/ reach processes through the executor contract and SQL through the store contract.',
  ),
  {
    files: ['server/src/**/*.ts'],
    ignores: ['server/src/config/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Configuration is read once, in config/.' }],
    },
  },
  {
    files: ['server/src/domain/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'domain/ is pure.' },
        { object: 'Date', property: 'now', message: 'domain/ takes time from an injected Clock.' },
      ],
    },
  },
  {
    // Web (ARCHITECTURE.md rule 8): app → features → components / lib / api; no feature imports
    // another; nothing in web/ imports server code (the server is reached over HTTP, typed by openapi.json).
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module', ecmaFeatures: { jsx: true } } },
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.tsx', '.js'] } } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones: webZones }],
    },
  },
)
