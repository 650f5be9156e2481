// The Postgres backends serving one local process: its TCP connections to the server's port,
// found from its socket inodes in /proc, matched to pg_stat_activity by client port. The
// payments bench reads their CPU around each window, so Postgres's work per transfer is
// measured for that service alone, whatever else the server runs meanwhile (Linux only).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Local ports of `pid`'s TCP connections to `serverPort` (IPv4 and IPv6). */
export function clientPortsOf(pid: number, serverPort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      const local = fields[1]!.split(':')[1]!;
      const remote = fields[2]!.split(':')[1]!;
      if (parseInt(remote, 16) === serverPort) ports.push(parseInt(local, 16));
    }
  }
  return ports;
}
