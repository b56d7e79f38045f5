// Lint configuration. Besides the recommended rules, it enforces house rule 7 of DESIGN.md:
// the pure core (INI parsing, option declarations, connection-URL parsing, bus envelopes,
// liveness maths, scheduler filters and weighers) imports no framework or I/O library.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const frameworkAndIo = ['@nestjs/*', 'typeorm', 'mysql2', 'better-sqlite3', 'rabbitmq-client', 'ssh2', 'ws',
  'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'child_process', 'node:child_process',
  'http', 'node:http'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: [
      'src/config/ini-parser.ts', 'src/config/option-types.ts', 'src/config/options/**/*.ts',
      'src/config/interpolate.ts', 'src/db/connection-url.ts', 'src/rpc/envelope.ts',
      'src/servicegroup/liveness.ts', 'src/servicegroup/availability-zones.ts', 'src/api/policy/policy-engine.ts',
      'src/api/microversion/api-version.ts', 'src/cli/argv.ts', 'src/scheduler/filters/**/*.ts',
      'src/scheduler/weighers/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: frameworkAndIo.map((g) => ({ group: [g], message: 'pure core: no framework or I/O imports (DESIGN.md rule 7)' })) }],
    },
  },
);
