export * from './compute.js';
export * from './context.js';
export * from './dates.js';
export * from './outputs.js';
export * from './pep440.js';
export * from './rules.js';
export * from './template.js';
