import { request } from 'node:http';

/**
 * GET http://127.0.0.1:port/path on a fresh connection. A refused connection, or no answer within `giveUpMs`,
 * rejects: a caller that polls for a state catches it (and then decides), never mistakes it for an answer.
 */
export function get(port: number, path = '/', giveUpMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: giveUpMs }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${giveUpMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}
