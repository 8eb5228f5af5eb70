// The CLI's face for other code and tests; main.ts is the program (it runs on import).
export * from './argv.js';
export * from './help.js';
export { ACTION_HELP } from './help.generated.js';
export { pauseCommand, PAUSE_USAGE } from './pause.js';
