// A closed-loop HTTP/1.1 load generator: CONNECTIONS keep-alive connections each sending GET URL
// back to back for SECONDS (0: no time bound), or until REQUESTS have been sent; prints requests/s
// and latency percentiles as JSON. Tests give a count, never a time.
// Usage: node scripts/http-load.ts URL [CONNECTIONS] [SECONDS] [REQUESTS]
import { Agent, request } from 'node:http';

const [url, connections = '16', seconds = '10', requests = '0'] = process.argv.slice(2);
if (!url) throw new Error('usage: http-load.ts URL [CONNECTIONS] [SECONDS] [REQUESTS]');
const agent = new Agent({ keepAlive: true, maxSockets: Number(connections) });
const latencies: number[] = [];
let errors = 0;
const until = Number(seconds) > 0 ? performance.now() + Number(seconds) * 1000 : Infinity;
let unsent = Number(requests) > 0 ? Number(requests) : Infinity;

const once = () => new Promise<void>((resolve) => {
  const started = performance.now();
  const req = request(url, { agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) latencies.push(performance.now() - started);
      else errors++;
      resolve();
    });
  });
  req.on('error', () => {
    errors++;
    resolve();
  });
  req.end();
});

const started = performance.now();
await Promise.all(Array.from({ length: Number(connections) }, async () => {
  while (performance.now() < until && unsent-- > 0) await once();
}));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
console.log(JSON.stringify({ requests: latencies.length, errors, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) }));
agent.destroy();
