export * from './argv.js';
export { detectCompose, composeDetectArgv, composeFound, parseDetect } from './detect.js';
export * from './file.js';
export * from './version.js';
