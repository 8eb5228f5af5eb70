export * from './argv.js';
export * from './hostkeys.js';
export { SshExecutor, type SshExecutorOptions } from './executor.js';
export * from './script.js';
export * from './phase.js';
