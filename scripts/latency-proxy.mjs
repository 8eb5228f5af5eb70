#!/usr/bin/env node
/**
 * A far link for the test hosts: a TCP proxy on 127.0.0.1 that holds every chunk for --delay-ms in each
 * direction, in order, as a 50–200 ms link between a GitHub runner and a host does. Kernel netem is not
 * available on these machines, so the lab's distance comes from here.
 *
 *   node scripts/latency-proxy.mjs --listen 127.0.0.1:2241 --target 127.0.0.1:2231 --delay-ms 50 \
 *     [--pid-file FILE]
 *
 * Faults, for the tests that cut a link in the middle of a deploy:
 *   SIGUSR2  drops every open connection at once (both sides see a reset), as a network failure would;
 *            new connections are accepted as before.
 *   SIGTERM  stops the proxy.
 * Each accepted connection and each cut is logged on stdout with a time, so a test can count them.
 */
import { createServer, connect } from 'node:net';
import { writeFileSync } from 'node:fs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) {
    if (fallback === undefined) {
      console.error(`latency-proxy: --${name} is required`);
      process.exit(2);
    }
    return fallback;
  }
  return process.argv[i + 1];
}

function hostPort(value, name) {
  const m = /^(127\.\d+\.\d+\.\d+|localhost):(\d+)$/.exec(value);
  if (!m) {
    console.error(`latency-proxy: --${name} must be a loopback host:port, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return { host: m[1], port: Number(m[2]) };
}

const listen = hostPort(arg('listen'), 'listen');
const target = hostPort(arg('target'), 'target');
const delayMs = Number(arg('delay-ms', '50'));
if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 5000) {
  console.error('latency-proxy: --delay-ms must be a number of milliseconds from 0 to 5000');
  process.exit(2);
}
const pidFile = arg('pid-file', '');

const open = new Set();
let accepted = 0;

/** Forward `from` to `to`, each chunk (and the end) released delayMs after it arrived, in arrival order. */
function delayed(from, to) {
  const queue = [];
  let timer;
  const flush = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && queue[0].at <= now) {
      const item = queue.shift();
      if (to.destroyed) return;
      if (item.end) to.end();
      else to.write(item.chunk);
    }
    schedule();
  };
  const schedule = () => {
    if (timer || !queue.length) return;
    timer = setTimeout(flush, Math.max(0, queue[0].at - Date.now()));
  };
  from.on('data', (chunk) => {
    queue.push({ at: Date.now() + delayMs, chunk });
    schedule();
  });
  from.on('end', () => {
    queue.push({ at: Date.now() + delayMs, end: true });
    schedule();
  });
  from.on('close', () => {
    if (!queue.length) to.destroy();
    else queue.push({ at: Date.now() + delayMs, end: true });
  });
}

const server = createServer((client) => {
  accepted++;
  const upstream = connect(target);
  const pair = { client, upstream };
  open.add(pair);
  const done = () => {
    open.delete(pair);
    client.destroy();
    upstream.destroy();
  };
  client.on('error', done);
  upstream.on('error', done);
  client.on('close', () => open.delete(pair));
  delayed(client, upstream);
  delayed(upstream, client);
  console.log(`${new Date().toISOString()} accept ${accepted}`);
});

process.on('SIGUSR2', () => {
  const n = open.size;
  for (const { client, upstream } of open) {
    if (client.resetAndDestroy) client.resetAndDestroy();
    else client.destroy();
    upstream.destroy();
  }
  open.clear();
  console.log(`${new Date().toISOString()} cut ${n}`);
});
process.on('SIGTERM', () => process.exit(0));

server.listen(listen.port, listen.host, () => {
  if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
  console.log(
    `${new Date().toISOString()} listening ${listen.host}:${listen.port} -> ${target.host}:${target.port} delay ${delayMs}ms`
  );
});
