import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Which machine and pid namespace a lock holder ran in. Runners in containers share a hostname but not a pid
 * namespace, and a rebooted runner reuses pids: a pid only means something to a runner with the same
 * hostname, boot id and pid-namespace inode. Undefined parts (no /proc) are left out, never guessed.
 */
export function runnerIdentity(): string {
  const boot = read('/proc/sys/kernel/random/boot_id')?.trim();
  let pidns: string | undefined;
  try {
    pidns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
  } catch {
    pidns = undefined;
  }
  return [hostname(), boot ?? '-', pidns ?? '-'].join('/');
}

/**
 * When a process started (clock ticks since boot, field 22 of /proc/<pid>/stat): a pid reused by another
 * process has another start time. Undefined when unknown.
 */
export function processStart(pid: number): string | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
