// ESM all the way: our sources are ESM TypeScript and the @actions packages are ESM-only.
// Run through `npm test`, which sets --experimental-vm-modules.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }]
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  // Most suites wait on hosts (a 50 ms link, slow login shells, docker): three workers keep two cores busy.
  maxWorkers: 3,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs']
};
