// Purpose: latency of the synchronous decision API (POST /v1/decisions), the path card
// authorisation calls: client-side round trip per request, p50/p95/p99, at a fixed offered rate.
//
// Run: node --disable-warning=ExperimentalWarning bench/scorer/api.ts [--rate 500] [--seconds 20] [--connections 8]
//
// The API runs in a child process exactly as composed for `bin/fraud api` minus the console
// (embedded bus, features and graph; the shipped model and rules), so this process only offers
// load. Requests go out on keep-alive connections at --rate per second (open loop: a slow
// answer does not delay the next request), each with a simulated transaction continuing one
// history; a warm-up of 2,000 requests comes first.

import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { createSimulator, transactionJson } from '../../src/services/ingestor/index.ts';
import { summarize } from '../../src/services/telemetry/index.ts';

if (process.argv[2] === '--serve') {
  const { embeddedPlatform } = await import('../support/embedded-platform.ts');
  const { buildApiServer } = await import('../../src/services/scorer/server.ts');
  const platform = await embeddedPlatform();
  const app = await buildApiServer(platform);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send!({
    address,
    model: platform.model.current?.version ?? 'none',
    rules: platform.policy.current.version,
  });
  process.on(
    'disconnect',
    () =>
      void app
        .close()
        .then(() => platform.close())
        .then(() => process.exit(0)),
  );
} else {
  const flag = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const rate = flag('rate', 500);
  const seconds = flag('seconds', 20);
  const connections = flag('connections', 8);
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], {
    execArgv: ['--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const info = await new Promise<{ address: string; model: string; rules: string }>((resolve) =>
    child.once('message', (m) => resolve(m as { address: string; model: string; rules: string })),
  );
  const url = new URL('/v1/decisions', info.address);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const sim = createSimulator({ seed: 42, count: 2_000 + rate * seconds, idPrefix: 'api_' });

  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(performance.now() - started)
              : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  process.stderr.write(`api bench: warm-up (2,000 requests), then ${rate} req/s for ${seconds} s\n`);
  for (let i = 0; i < 2_000; i += connections) {
    await Promise.all(
      Array.from({ length: connections }, () => post(transactionJson(sim.next().transaction))),
    );
  }
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (sent < due) {
      sent++;
      inflight.push(post(transactionJson(sim.next().transaction)).then((ms) => void latencies.push(ms)));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  const s = summarize(latencies);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify(
      {
        bench: 'scorer/api',
        machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version },
        loadavg_1m: r2(loadavg()[0]!),
        model: info.model,
        rules: info.rules,
        offered_req_s: rate,
        achieved_req_s: Math.round(latencies.length / elapsed),
        connections,
        latency_ms: { count: s.count, p50: r2(s.p50), p95: r2(s.p95), p99: r2(s.p99), max: r2(s.max) },
      },
      null,
      1,
    ),
  );
  agent.destroy();
  child.disconnect();
}
