import net from 'node:net';

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/**
 * Signs in to a Redis as `user` and sends one command over a raw connection, so a test sees
 * the server's own answer with no client library in between. Returns the command's reply
 * line: `+OK`, `:1`, `-NOPERM …`, `$1` for a bulk string, or the sign-in's error.
 */
export function redisAs(port: number, user: string | undefined, password: string, command: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('redis did not answer within 5 s')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(user === undefined ? encode(command) : encode(['AUTH', user, password]) + encode(command)));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const lines = received.split('\r\n');
      if (user === undefined && lines.length > 1) return finish(lines[0]!);
      if (lines.length < 2) return;
      if (!lines[0]!.startsWith('+OK')) return finish(lines[0]!);
      if (lines.length > 2) finish(lines[1]!);
    });
    function finish(line: string) {
      socket.end();
      resolve(line);
    }
  });
}
