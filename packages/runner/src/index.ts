export * from './metadata.js';
export * from './commands.js';
export * from './run.js';
