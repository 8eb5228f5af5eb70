export * from './reference.js';
export * from './client.js';
export * from './copy.js';
export * from './logins.js';
export * from './publish.js';
export * from './scan-report.js';
