export * from './argv.js';
export * from './meta/index.js';
export * from './build.js';
export * from './context.js';
export * from './summary.js';
