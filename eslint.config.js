// Lint is the architecture's guard: each zone below is one dependency rule of docs/architecture.md.
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'

const src = './server/src'
const adapterZones = ['store', 'executor', 'environments'].map((adapter) => ({
  target: `${src}/!(${adapter}|main.ts)/**`,
  from: `${src}/${adapter}`,
  except: [`./${adapter}.ts`],
  message: `Outside ${adapter}/ import only its contract file, ${adapter}/${adapter}.ts; main.ts wires implementations.`,
}))

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'web/**'] },
  {
    files: ['server/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } },
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: `${src}/domain`, from: src, except: ['./domain', './lib'], message: 'domain/ is pure: it imports only domain/ and lib/.' },
            { target: `${src}/lib`, from: src, except: ['./lib'], message: 'lib/ holds generic helpers with no Taskyard words.' },
            { target: `${src}/http`, from: `${src}/executor`, message: 'http/ reaches processes only through services.' },
            { target: `${src}/http`, from: `${src}/store`, except: ['./store.ts'], message: 'http/ reaches storage only through services.' },
            ...adapterZones,
          ],
        },
      ],
    },
  },
  {
    files: ['server/src/services/**/*.ts', 'server/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fastify', 'kysely', 'pg', 'node:child_process', 'child_process'].map((name) => ({
            name,
            message: 'services/ and domain/ get processes, SQL and HTTP through their deps.',
          })),
        },
      ],
    },
  },
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
)
