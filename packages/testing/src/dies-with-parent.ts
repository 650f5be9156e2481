import { existsSync } from 'node:fs';

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/**
 * The command line that runs `command` so that the kernel kills it when the test process
 * dies, however it dies: tap's timeout ends a test with a signal, and no exit hook runs then,
 * so a child server would live on holding its port. util-linux's setpriv sets the parent-
 * death signal and execs the command (the pid stays the command's); where there is no
 * setpriv, the command runs as it is.
 */
export function diesWithParent(command: readonly string[]): string[] {
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...command] : [...command];
}
