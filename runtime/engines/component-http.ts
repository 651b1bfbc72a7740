// A component exporting wasi:http/incoming-handler, served by Node's http server on the runner's
// main thread: HTTP/1.1 with keep-alive, in the pod's network namespace. The guest is synchronous:
// requests are handled one after another, each whole. Isolation between requests (WASMTS_HTTP_INSTANCE):
// - per-request (the default, as runwasi and wasmtime serve do): every request gets a fresh instance,
//   made ahead while the server is idle. Guests are written for it (StarlingMonkey, which
//   componentize-js builds on, serves one request per instance).
// - reuse: one instance serves every request, replaced after a trap; for guests that keep no state
//   between requests, or want to, at a fraction of the cost.
// A request that traps, or that sets no response, answers 500 and the server goes on. SIGTERM
// drains: no new connections, in-flight requests finish, then exit 0.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeSync } from 'node:fs';
import type { GuestConfig } from '../guest.ts';
import { componentLoader } from '../component/load.ts';
import { createHost } from '../component/host/index.ts';
import { fieldsFromRaw, httpInterfaces, IncomingRequest, ResponseOutparam, type OutgoingBody, type OutgoingResponse, type ResponseResult } from '../component/host/http.ts';
import { workerFetcher } from '../component/host/fetch-worker.ts';
import { HTTP_HANDLER_EXPORT } from '../component/interfaces.ts';
import { fail, isTrap } from '../runner.ts';
import { guestEnvironment, preopensFor } from './component-command.ts';

export const HTTP_ADDR_ENV = 'WASMTS_HTTP_ADDR';
export const HTTP_INSTANCE_ENV = 'WASMTS_HTTP_INSTANCE';
const INSTANCE_MODES = ['per-request', 'reuse'];
const DEFAULT_ADDRESS = { host: '0.0.0.0', port: 8080 };
// A request body is read whole before the handler runs: bounded, so a client cannot fill memory.
const MAX_REQUEST_BODY = 64 << 20;

export interface HttpSettings {
  host: string;
  port: number;
  reuse: boolean;
  // The guest's env: without the settings, which are wasmts's and not the guest's.
  env: string[];
}

export function httpSettings(env: string[]): HttpSettings {
  const value = (name: string) => env.findLast((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  const rest = env.filter((e) => !e.startsWith(`${HTTP_ADDR_ENV}=`) && !e.startsWith(`${HTTP_INSTANCE_ENV}=`));
  const mode = value(HTTP_INSTANCE_ENV) ?? 'per-request';
  if (!INSTANCE_MODES.includes(mode)) fail(`${HTTP_INSTANCE_ENV}=${mode} is not one of ${INSTANCE_MODES.join(', ')}: fix the container's env`);
  const address = value(HTTP_ADDR_ENV);
  if (address === undefined) return { ...DEFAULT_ADDRESS, reuse: mode === 'reuse', env: rest };
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || !(port > 0 && port < 65536)) fail(`${HTTP_ADDR_ENV}=${address} is not host:port (for example 0.0.0.0:8080 or [::]:8080): fix the container's env`);
  return { host: match[1] ?? (match[2] || DEFAULT_ADDRESS.host), port, reuse: mode === 'reuse', env: rest };
}

type Handle = (request: IncomingRequest, out: ResponseOutparam) => void;

// The instances requests are served by, per the isolation mode.
export class Instances {
  readonly #make: () => Handle;
  readonly #reuse: boolean;
  #next: Handle | undefined;
  constructor(make: () => Handle, reuse: boolean) {
    this.#make = make;
    this.#reuse = reuse;
  }
  take(): Handle {
    const handle = this.#next ?? this.#make();
    this.#next = this.#reuse ? handle : undefined;
    return handle;
  }
  // After a trap: the instance may be in any state.
  discard(): void {
    this.#next = undefined;
  }
  // The next request's instance, made while nothing waits.
  prepare(): void {
    this.#next ??= this.#make();
  }
}

const log = (line: string) => writeSync(2, `${line}\n`);

export function runHttpServer(config: GuestConfig): void {
  const address = httpSettings(config.env);
  const host = {
    ...createHost({ args: config.args, env: guestEnvironment(address.env), cwd: config.cwd, exit: (code) => process.exit(code), preopens: preopensFor(config.cwd) }),
    ...httpInterfaces(workerFetcher()),
  };
  let load: () => Record<string, unknown>;
  const instantiate = (): Handle => {
    load ??= componentLoader(config.module, host, (code) => process.exit(code));
    const exports = load();
    const key = Object.keys(exports).find((name) => name.startsWith(`${HTTP_HANDLER_EXPORT}@`));
    const handler = key ? (exports[key] as { handle?: Handle }).handle : undefined;
    if (!handler) fail(`${config.module} exports no ${HTTP_HANDLER_EXPORT}: it is not an HTTP server`);
    return handler;
  };
  const instances = new Instances(instantiate, address.reuse);
  try {
    instances.prepare();
  } catch (error) {
    fail(`cannot start the component: ${(error as Error).message}`);
  }
  let preparing = false;
  const prepareSoon = () => {
    if (preparing || address.reuse) return;
    preparing = true;
    setImmediate(() => {
      preparing = false;
      try {
        instances.prepare();
      } catch (error) {
        // The next request tries again, and answers 500 with the reason if it fails again.
        log(`making the next instance failed: ${(error as Error).message}`);
      }
    });
  };

  let inFlight = 0;
  let draining = false;
  const maybeExit = () => {
    if (draining && inFlight === 0) process.exit(0);
  };

  const respond = (res: ServerResponse, status: number, text: string) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  const serve = (req: IncomingMessage, res: ServerResponse, body: Uint8Array[]) => {
    const what = `${req.method} ${req.url}`;
    let result: ResponseResult | undefined;
    let bodyFinished = false;
    const connect = (body: OutgoingBody) => {
      body.sink.attach((chunk) => res.write(chunk));
      body.sink.onFinish = () => {
        bodyFinished = true;
        res.end();
      };
      if (body.sink.finished) body.sink.onFinish();
    };
    const start = (response: OutgoingResponse) => {
      if (draining) res.setHeader('connection', 'close');
      res.writeHead(response.status, response.headersFields.toNode());
      if (response.body_) connect(response.body_);
      else response.onBody = connect;
    };
    const out = new ResponseOutparam((r) => {
      result = r;
      if (r.tag === 'ok') start(r.val);
    });
    const request = new IncomingRequest({ method: req.method ?? 'GET', pathWithQuery: req.url ?? '/', authority: req.headers.host, headers: fieldsFromRaw(req.rawHeaders), body });
    try {
      instances.take()(request, out);
    } catch (error) {
      instances.discard();
      const kind = isTrap(error) ? 'wasm trap' : 'the handler failed';
      log(`${kind} serving ${what}: ${(error as Error).stack ?? String(error)}`);
      return respond(res, 500, `${kind}: ${(error as Error).message}\n`);
    }
    if (!result) {
      log(`the handler set no response for ${what}`);
      return respond(res, 500, 'the handler set no response\n');
    }
    if (result.tag === 'err') {
      log(`the handler answered ${what} with error ${JSON.stringify(result.val)}`);
      return respond(res, 500, `the handler answered with error ${result.val.tag}\n`);
    }
    // A body never taken, or never finished, ends with the handler.
    if (!bodyFinished) res.end();
  };
  const serveAndPrepare = (req: IncomingMessage, res: ServerResponse, body: Uint8Array[]) => {
    serve(req, res, body);
    prepareSoon();
  };

  const server = createServer({ keepAlive: true }, (req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (draining) server.closeIdleConnections();
      maybeExit();
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BODY) {
        respond(res, 413, `request body over ${MAX_REQUEST_BODY} bytes\n`);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!res.writableEnded && !res.destroyed) serveAndPrepare(req, res, chunks);
    });
  });
  server.on('error', (error) => fail(`cannot serve HTTP on ${address.host}:${address.port}: ${error.message}`));
  server.listen(address.port, address.host, () => log(`wasmts: serving HTTP on ${address.host}:${address.port}`));
  const drain = () => {
    if (draining) return;
    draining = true;
    server.close();
    server.closeIdleConnections();
    maybeExit();
  };
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
}
