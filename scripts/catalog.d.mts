// Types of scripts/catalog.mjs for the tests that check the generated files.
export function render(): string;
/** Every generated file: path from the repository root → its content. */
export function generated(): Promise<Map<string, string>>;
