export * from './argv.js';
export * from './hostkeys.js';
export { SshExecutor, type SshExecutorOptions } from './executor.js';
