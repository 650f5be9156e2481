import { readFileSync } from 'node:fs';

/**
 * The process's open-files limit (the soft RLIMIT_NOFILE, which Node raises to the hard one
 * as it starts), from Linux's /proc/self/limits. Undefined where that file is missing or says
 * "unlimited": the configured limits then stand alone.
 */
export function openFilesLimit(limitsFile = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8');
  } catch {
    return undefined;
  }
  // "Max open files            1048576              1048576              files"
  const soft = /^Max open files\s+(\d+)\s/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}
