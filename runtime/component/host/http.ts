// wasi:http/types and wasi:http/outgoing-handler for a synchronous guest. Incoming requests arrive
// whole (their body read before the handler is called); responses stream out to Node's http server
// as the guest writes them. Outgoing requests are made by a worker thread with Node's fetch, and
// the guest's wait for them blocks on an Atomics counter the worker bumps.
import { InputStream, IoError, MemorySource, OutputStream, Pollable, type ByteSink } from './io.ts';

type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };
type Method = { tag: string; val?: string };
type Scheme = { tag: 'HTTP' | 'HTTPS' | 'other'; val?: string };
export type ErrorCode = { tag: string; val?: unknown };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const METHODS = ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'];

export function methodOf(name: string): Method {
  const lower = name.toLowerCase();
  return METHODS.includes(lower) && name === name.toUpperCase() ? { tag: lower } : { tag: 'other', val: name };
}

export function methodName(method: Method): string {
  return method.tag === 'other' ? String(method.val) : method.tag.toUpperCase();
}

export class Fields {
  #entries: [string, Uint8Array][] = [];
  #immutable = false;
  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) {
      if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
      fields.#entries.push([name.toLowerCase(), value]);
    }
    return fields;
  }
  static immutable(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    fields.#entries = entries;
    fields.#immutable = true;
    return fields;
  }
  #change(name: string): string {
    if (this.#immutable) throw { tag: 'immutable' } satisfies HeaderError;
    if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
    return name.toLowerCase();
  }
  get(name: string): Uint8Array[] {
    const lower = name.toLowerCase();
    return this.#entries.filter(([key]) => key === lower).map(([, value]) => value);
  }
  has(name: string): boolean {
    const lower = name.toLowerCase();
    return this.#entries.some(([key]) => key === lower);
  }
  set(name: string, values: Uint8Array[]): void {
    const lower = this.#change(name);
    this.#entries = [...this.#entries.filter(([key]) => key !== lower), ...values.map((value): [string, Uint8Array] => [lower, value])];
  }
  delete(name: string): void {
    const lower = this.#change(name);
    this.#entries = this.#entries.filter(([key]) => key !== lower);
  }
  append(name: string, value: Uint8Array): void {
    this.#entries.push([this.#change(name), value]);
  }
  entries(): [string, Uint8Array][] {
    return this.#entries.map(([name, value]) => [name, value]);
  }
  clone(): Fields {
    return Fields.fromList(this.#entries);
  }
  // Node's shape: name -> value(s), as latin1 strings (header bytes are not UTF-8).
  toNode(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, value] of this.#entries) (out[name] ??= []).push(Buffer.from(value).toString('latin1'));
    return out;
  }
}

export function fieldsFromRaw(raw: string[]): Fields {
  const entries: [string, Uint8Array][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) entries.push([raw[i]!.toLowerCase(), Buffer.from(raw[i + 1]!, 'latin1')]);
  return Fields.immutable(entries);
}

class FutureTrailers {
  #taken = false;
  subscribe(): Pollable {
    return new Pollable();
  }
  // No trailers: HTTP/1.1 bodies here carry none.
  get() {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

export class IncomingBody {
  readonly #chunks: Uint8Array[];
  #stream: InputStream | undefined;
  constructor(chunks: Uint8Array[]) {
    this.#chunks = chunks;
  }
  stream(): InputStream {
    if (this.#stream) throw undefined;
    this.#stream = new InputStream(new MemorySource(this.#chunks));
    return this.#stream;
  }
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
}

export interface IncomingRequestParts {
  method: string;
  pathWithQuery: string;
  authority: string | undefined;
  headers: Fields;
  body: Uint8Array[];
}

export class IncomingRequest {
  readonly #parts: IncomingRequestParts;
  #consumed = false;
  constructor(parts: IncomingRequestParts) {
    this.#parts = parts;
  }
  method(): Method {
    return methodOf(this.#parts.method);
  }
  pathWithQuery(): string | undefined {
    return this.#parts.pathWithQuery;
  }
  scheme(): Scheme {
    return { tag: 'HTTP' };
  }
  authority(): string | undefined {
    return this.#parts.authority;
  }
  headers(): Fields {
    return this.#parts.headers;
  }
  consume(): IncomingBody {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    return new IncomingBody(this.#parts.body);
  }
}

// Where an outgoing body's bytes go once there is somewhere to send them: until then they wait.
export class BodySink implements ByteSink {
  #pending: Uint8Array[] = [];
  #target: ((bytes: Uint8Array) => void) | undefined;
  finished = false;
  onFinish: (() => void) | undefined;
  write(bytes: Uint8Array): void {
    // The guest may reuse its memory: the bytes are copied before they wait or leave.
    const copy = Uint8Array.from(bytes);
    if (this.#target) this.#target(copy);
    else this.#pending.push(copy);
  }
  capacity(): number {
    return 1 << 20;
  }
  attach(target: (bytes: Uint8Array) => void): void {
    this.#target = target;
    for (const chunk of this.#pending.splice(0)) target(chunk);
  }
  takePending(): Uint8Array[] {
    return this.#pending.splice(0);
  }
}

export class OutgoingBody {
  readonly sink = new BodySink();
  #stream: OutputStream | undefined;
  write(): OutputStream {
    if (this.#stream) throw undefined;
    this.#stream = new OutputStream(this.sink);
    return this.#stream;
  }
  static finish(body: OutgoingBody, _trailers: Fields | undefined): void {
    body.sink.finished = true;
    body.sink.onFinish?.();
  }
}

export class OutgoingResponse {
  readonly headersFields: Fields;
  status = 200;
  body_: OutgoingBody | undefined;
  // Set once the response is on its way: a body taken after that is connected at once.
  onBody: ((body: OutgoingBody) => void) | undefined;
  constructor(headers: Fields) {
    this.headersFields = headers;
  }
  statusCode(): number {
    return this.status;
  }
  setStatusCode(code: number): void {
    if (code < 100 || code > 999) throw undefined;
    this.status = code;
  }
  headers(): Fields {
    return this.headersFields;
  }
  body(): OutgoingBody {
    if (this.body_) throw undefined;
    this.body_ = new OutgoingBody();
    this.onBody?.(this.body_);
    return this.body_;
  }
}

export type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode };

export class ResponseOutparam {
  readonly #deliver: (result: ResponseResult) => void;
  #set = false;
  constructor(deliver: (result: ResponseResult) => void) {
    this.#deliver = deliver;
  }
  static set(param: ResponseOutparam, response: ResponseResult): void {
    if (param.#set) throw new Error('wasi:http response-outparam.set was called twice');
    param.#set = true;
    param.#deliver(response);
  }
}

class RequestOptions {
  #timeouts: Record<string, bigint | undefined> = {};
  connectTimeout() {
    return this.#timeouts.connect;
  }
  setConnectTimeout(value: bigint | undefined) {
    this.#timeouts.connect = value;
  }
  firstByteTimeout() {
    return this.#timeouts.firstByte;
  }
  setFirstByteTimeout(value: bigint | undefined) {
    this.#timeouts.firstByte = value;
  }
  betweenBytesTimeout() {
    return this.#timeouts.betweenBytes;
  }
  setBetweenBytesTimeout(value: bigint | undefined) {
    this.#timeouts.betweenBytes = value;
  }
  totalTimeoutMs(): number | undefined {
    const ns = [this.#timeouts.connect, this.#timeouts.firstByte].filter((v) => v !== undefined).reduce((a, b) => a! + b!, 0n);
    return ns ? Number(ns / 1_000_000n) : undefined;
  }
}

export class OutgoingRequest {
  readonly headersFields: Fields;
  method_: Method = { tag: 'get' };
  path: string | undefined;
  scheme_: Scheme | undefined;
  authority_: string | undefined;
  body_: OutgoingBody | undefined;
  constructor(headers: Fields) {
    this.headersFields = headers;
  }
  body(): OutgoingBody {
    if (this.body_) throw undefined;
    this.body_ = new OutgoingBody();
    return this.body_;
  }
  method(): Method {
    return this.method_;
  }
  setMethod(method: Method): void {
    if (method.tag === 'other' && !TOKEN.test(String(method.val))) throw undefined;
    this.method_ = method;
  }
  pathWithQuery(): string | undefined {
    return this.path;
  }
  setPathWithQuery(path: string | undefined): void {
    this.path = path;
  }
  scheme(): Scheme | undefined {
    return this.scheme_;
  }
  setScheme(scheme: Scheme | undefined): void {
    this.scheme_ = scheme;
  }
  authority(): string | undefined {
    return this.authority_;
  }
  setAuthority(authority: string | undefined): void {
    if (authority !== undefined && /[\s/]/.test(authority)) throw undefined;
    this.authority_ = authority;
  }
  headers(): Fields {
    return this.headersFields;
  }
}

export class IncomingResponse {
  readonly #status: number;
  readonly #headers: Fields;
  readonly #body: Uint8Array[];
  #consumed = false;
  constructor(status: number, headers: Fields, body: Uint8Array[]) {
    this.#status = status;
    this.#headers = headers;
    this.#body = body;
  }
  status(): number {
    return this.#status;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    return new IncomingBody(this.#body);
  }
}

// What the fetch worker answers for one request.
export type FetchOutcome = { status: number; headers: [string, string][]; body: Uint8Array } | { error: ErrorCode };

export interface FetchRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array | undefined;
  timeoutMs: number | undefined;
}

export interface Fetcher {
  start(request: FetchRequest): number;
  // The outcome of request `id` if it has arrived, without waiting.
  take(id: number): FetchOutcome | undefined;
  wait(ms: number): void;
}

export class FutureIncomingResponse {
  readonly #fetcher: Fetcher;
  #id: number | undefined;
  #outcome: FetchOutcome | undefined;
  #taken = false;
  #early: ErrorCode | undefined;
  constructor(fetcher: Fetcher, start: (future: FutureIncomingResponse) => void) {
    this.#fetcher = fetcher;
    start(this);
  }
  started(id: number): void {
    this.#id = id;
  }
  failed(error: ErrorCode): void {
    this.#early = error;
  }
  #poll(): boolean {
    if (this.#early || this.#outcome) return true;
    if (this.#id === undefined) return false;
    this.#outcome = this.#fetcher.take(this.#id);
    return this.#outcome !== undefined;
  }
  subscribe(): Pollable {
    return new Pollable({ ready: () => this.#poll(), wait: (ms) => this.#fetcher.wait(ms) });
  }
  get() {
    if (!this.#poll()) return undefined;
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    if (this.#early) return { tag: 'ok', val: { tag: 'err', val: this.#early } };
    const outcome = this.#outcome!;
    if ('error' in outcome) return { tag: 'ok', val: { tag: 'err', val: outcome.error } };
    const headers = Fields.immutable(outcome.headers.map(([name, value]) => [name, Buffer.from(value, 'latin1')]));
    return { tag: 'ok', val: { tag: 'ok', val: new IncomingResponse(outcome.status, headers, [outcome.body]) } };
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

export function outgoingHandle(fetcher: Fetcher) {
  return (request: OutgoingRequest, options: RequestOptions | undefined): FutureIncomingResponse => {
    const scheme = request.scheme_ ?? { tag: 'HTTP' };
    if (scheme.tag === 'other') throw { tag: 'HTTP-protocol-error' } satisfies ErrorCode;
    if (!request.authority_) throw { tag: 'HTTP-request-URI-invalid' } satisfies ErrorCode;
    const url = `${scheme.tag === 'HTTPS' ? 'https' : 'http'}://${request.authority_}${request.path ?? '/'}`;
    const headers = Object.entries(request.headersFields.toNode()).flatMap(([name, values]) => values.map((value): [string, string] => [name, value]));
    return new FutureIncomingResponse(fetcher, (future) => {
      const send = (body: Uint8Array | undefined) => {
        try {
          future.started(fetcher.start({ method: methodName(request.method_), url, headers, body, timeoutMs: options?.totalTimeoutMs() }));
        } catch (error) {
          future.failed({ tag: 'internal-error', val: (error as Error).message });
        }
      };
      // A body the guest writes after handing the request over goes out once it is finished.
      const body = request.body_;
      if (!body || body.sink.finished) send(body ? concat(body.sink.takePending()) : undefined);
      else body.sink.onFinish = () => send(concat(body.sink.takePending()));
    });
  };
}

export function httpInterfaces(fetcher: Fetcher) {
  return {
    'wasi:http/types': {
      Fields, FutureIncomingResponse, FutureTrailers, IncomingBody, IncomingRequest, IncomingResponse, OutgoingBody,
      OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam,
      httpErrorCode: (error: IoError): ErrorCode | undefined => (error.code ? { tag: 'internal-error', val: error.message } : undefined),
    },
    'wasi:http/outgoing-handler': { handle: outgoingHandle(fetcher) },
  };
}
