/**
 * The runner's side of the protocol between an action and GitHub: workflow commands on stdout
 * (`::add-mask::`, `::error …::`) and file commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH).
 */
export interface Annotation {
  level: 'error' | 'warning' | 'notice' | 'debug';
  message: string;
  properties: Record<string, string>;
}

export interface ParsedStdout {
  masks: string[];
  annotations: Annotation[];
  /** The log as a person sees it in GitHub: commands consumed, masks applied. */
  log: string;
  /** Legacy `::set-output` / `::save-state`, which the runner no longer honours: kept so tests can forbid them. */
  legacyCommands: string[];
}

// Values are escaped by the toolkit: %25 %0D %0A in data, plus %3A %2C in properties.
function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
function unescapeProperty(s: string): string {
  return s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

export function parseStdout(stdout: string): ParsedStdout {
  const masks: string[] = [];
  const annotations: Annotation[] = [];
  const legacyCommands: string[] = [];
  const logLines: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) {
      logLines.push(line);
      continue;
    }
    const [, command, props = '', data = ''] = m;
    const properties: Record<string, string> = {};
    for (const kv of props.split(',').filter(Boolean)) {
      const eq = kv.indexOf('=');
      if (eq > 0) properties[kv.slice(0, eq)] = unescapeProperty(kv.slice(eq + 1));
    }
    const message = unescapeData(data);
    switch (command) {
      case 'add-mask':
        if (message) masks.push(message);
        break;
      case 'error':
      case 'warning':
      case 'notice':
      case 'debug':
        annotations.push({ level: command, message, properties });
        if (command !== 'debug') logLines.push(`${command[0]!.toUpperCase()}${command.slice(1)}: ${message}`);
        break;
      case 'set-output':
      case 'save-state':
        legacyCommands.push(line);
        break;
      case 'group':
        logLines.push(`▸ ${message}`);
        break;
      case 'endgroup':
        break;
      default:
        logLines.push(line);
    }
  }
  return { masks, annotations, log: applyMasks(logLines.join('\n'), masks), legacyCommands };
}

export function applyMasks(text: string, masks: readonly string[]): string {
  let out = text;
  for (const m of [...masks].sort((a, b) => b.length - a.length)) if (m) out = out.split(m).join('***');
  return out;
}

/**
 * Parse a GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV file: `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks, as the runner does. Throws on an unterminated block.
 */
export function parseFileCommand(content: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = line.indexOf('<<');
    const eq = line.indexOf('=');
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!delimiter) throw new Error(`file command: empty delimiter for '${name}'`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) throw new Error(`file command: '${name}' has no closing delimiter '${delimiter}'`);
      result[name] = value.join('\n');
    } else if (eq > 0) {
      result[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      throw new Error(`file command: cannot parse line ${JSON.stringify(line)}`);
    }
  }
  return result;
}
