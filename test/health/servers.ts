import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

export interface TestServer {
  url: string;
  hits: () => number;
  close: () => Promise<void>;
}

/** A real HTTP(S) server on 127.0.0.1 (port 0) whose n-th request is answered by `handler`. */
export async function startServer(
  handler: Handler,
  tls?: { key: string; cert: string }
): Promise<TestServer> {
  let n = 0;
  const sockets = new Set<Socket>();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => handler(req, res, ++n);
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      })
  };
}

export const reply =
  (status: number, body: string | object, delayMs = 0): Handler =>
  (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const send = () => {
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
      res.end(text);
    };
    if (delayMs) setTimeout(send, delayMs);
    else send();
  };

/** Reset the TCP connection (RST) instead of answering. */
export const resetConnection: Handler = (req) => {
  (req.socket as Socket & { resetAndDestroy(): void }).resetAndDestroy();
};

/** Accept the request and never answer (the probe timeout must fire). */
export const hang: Handler = () => {};
