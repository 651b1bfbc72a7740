// `image example NAME --output FILE`: small WASI preview1 commands and a wasi:http component, so a
// new operator can try the whole path (image build, push, the pods in configs/kubernetes/) with
// nothing but this binary. Each command is assembled here, a few hundred bytes, rather than shipped
// as a file; a component cannot be written that briefly, so the server is built from http-hello.c
// with the binary (scripts/build.ts) and read from it.
import { getAsset, isSea } from 'node:sea';

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

// i32.const takes a signed LEB128: 64 and up need a second byte.
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const utf8 = (text: string) => [...new TextEncoder().encode(text)];
const name = (text: string) => [...leb(text.length), ...utf8(text)];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
const u32 = (value: number) => [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
const u64 = (value: bigint) => Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));

const I32 = 0x7f;
// (i32 i32 i32 i32) -> i32: fd_write and poll_oneoff; () -> (): _start; (i32) -> (): proc_exit.
const TYPES = [[0x60, 4, I32, I32, I32, I32, 1, I32], [0x60, 0, 0], [0x60, 1, I32, 0]];
const IMPORTS = { fd_write: 0, poll_oneoff: 0, proc_exit: 2 } as const;
type Import = keyof typeof IMPORTS;
const CONST = (value: number) => [0x41, ...sleb(value)];
const CALL = (index: number) => [0x10, index];
const DROP = 0x1a;
const END = 0x0b;

// A command: `_start` runs `body`, which calls the imports by their index in `imports`.
function command(imports: Import[], body: (call: (name: Import) => number[]) => number[], data: [number, number[]][]): Uint8Array<ArrayBuffer> {
  const code = [...body((import_) => CALL(imports.indexOf(import_))), END];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(TYPES)),
    ...section(2, vector(imports.map((import_) => [...name('wasi_snapshot_preview1'), ...name(import_), 0x00, IMPORTS[import_]]))),
    ...section(3, vector([[1]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name('_start'), 0x00, imports.length]])),
    ...section(10, vector([[...leb(code.length + 1), 0, ...code]])),
    ...section(11, vector(data.map(([offset, bytes]) => [0, ...CONST(offset), END, ...leb(bytes.length), ...bytes]))),
  ]);
}

// Writes `text` to `fd`: the iovec at 8 points at the text at 32; fd_write's count goes to 16.
const writeData = (text: string): [number, number[]][] => [[8, [...u32(32), ...u32(utf8(text).length)]], [32, utf8(text)]];
const write = (call: (name: Import) => number[], fd: number) => [...CONST(fd), ...CONST(8), ...CONST(1), ...CONST(16), ...call('fd_write'), DROP];

export const HTTP_EXAMPLE_ASSET = 'http-hello.wasm';

function httpExample(): Uint8Array<ArrayBuffer> {
  if (!isSea()) throw new Error('image example http is built into the single executable: run it from dist/containerd-shim-wasmts-v1 (make build)');
  return new Uint8Array(getAsset(HTTP_EXAMPLE_ASSET));
}

export const EXAMPLES: Record<string, { about: string; module: () => Uint8Array<ArrayBuffer> }> = {
  hello: {
    about: 'prints a line and exits 0',
    module: () => command(['fd_write'], (call) => write(call, 1), writeData('Hello from WebAssembly, run by wasmts\n')),
  },
  fail: {
    about: 'prints a line on stderr and exits 3 (a failed Job)',
    module: () => command(['fd_write', 'proc_exit'], (call) => [...write(call, 2), ...CONST(3), ...call('proc_exit')], writeData('failing on purpose with exit code 3\n')),
  },
  sleep: {
    about: 'sleeps until it is stopped (a Deployment)',
    // One clock subscription at 64 (monotonic clock, an hour), polled for ever; the event goes to 128.
    module: () => command(['poll_oneoff'], (call) => [0x03, 0x40, ...CONST(64), ...CONST(128), ...CONST(1), ...CONST(16), ...call('poll_oneoff'), DROP, 0x0c, 0, END], [
      [64, [...u64(0n), 0, 0, 0, 0, 0, 0, 0, 0, ...u32(1), 0, 0, 0, 0, ...u64(3_600_000_000_000n), ...u64(0n), 0, 0]],
    ]),
  },
  http: {
    about: 'a wasi:http component answering every request 200 with a hello line (a Deployment with a Service)',
    module: httpExample,
  },
};
