export * from './argv.js';
export * from './tags.js';
export * from './build.js';
export * from './context.js';
export * from './summary.js';
