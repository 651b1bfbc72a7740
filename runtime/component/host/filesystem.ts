// wasi:filesystem over node:fs's synchronous calls. Paths are resolved as strings below the
// descriptor's path (Node has no openat): confinement is the runc container's, whose `/` is the only
// preopen that reaches beyond the cwd. A descriptor holds an fd so that stat, sync and I/O follow the
// file it opened.
import {
  closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  openSync, readdirSync, readlinkSync, readSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync, utimesSync, writeSync,
  type BigIntStats, type Dirent,
} from 'node:fs';
import { posix } from 'node:path';
import { errorCode, fsCall } from './errno.ts';
import { FdSink, FdSource, InputStream, IoError, OutputStream } from './io.ts';
import type { Datetime } from './clocks.ts';

export interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
  mutateDirectory?: boolean;
}
interface PathFlags {
  symlinkFollow?: boolean;
}
interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}
type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

function typeOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stats.isFile()) return 'regular-file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symbolic-link';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const datetime = (ns: bigint): Datetime => ({ seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) });

function descriptorStat(stats: BigIntStats) {
  return {
    type: typeOf(stats),
    linkCount: stats.nlink,
    size: stats.size,
    dataAccessTimestamp: datetime(stats.atimeNs),
    dataModificationTimestamp: datetime(stats.mtimeNs),
    statusChangeTimestamp: datetime(stats.ctimeNs),
  };
}

// node:fs takes times as seconds; undefined keeps the current one.
function timeArg(timestamp: NewTimestamp, current: bigint): number {
  if (timestamp.tag === 'now') return Date.now() / 1000;
  if (timestamp.tag === 'timestamp') return Number(timestamp.val.seconds) + timestamp.val.nanoseconds / 1e9;
  return Number(current) / 1e9;
}

class DirectoryEntryStream {
  readonly #entries: Dirent[];
  #next = 0;
  constructor(entries: Dirent[]) {
    this.#entries = entries;
  }
  readDirectoryEntry(): { type: string; name: string } | undefined {
    const entry = this.#entries[this.#next++];
    return entry && { type: typeOf(entry), name: entry.name };
  }
}

export class Descriptor {
  readonly path: string;
  readonly fd: number;
  readonly flags: DescriptorFlags;
  readonly #type: string;
  constructor(path: string, fd: number, flags: DescriptorFlags) {
    this.path = path;
    this.fd = fd;
    this.flags = flags;
    this.#type = typeOf(fstatSync(fd));
  }
  [Symbol.dispose](): void {
    closeSync(this.fd);
  }
  // A path below this descriptor. WASI paths are relative and never climb out of their descriptor.
  #at(path: string): string {
    if (this.#type !== 'directory') throw 'not-directory';
    if (path.startsWith('/')) throw 'not-permitted';
    const normal = posix.normalize(path);
    if (normal === '..' || normal.startsWith('../')) throw 'not-permitted';
    return posix.join(this.path, normal);
  }
  #file(): number {
    if (this.#type === 'directory') throw 'is-directory';
    return this.fd;
  }
  readViaStream(offset: bigint): InputStream {
    return new InputStream(new FdSource(this.#file(), Number(offset)));
  }
  writeViaStream(offset: bigint): OutputStream {
    if (!this.flags.write) throw 'bad-descriptor';
    return new OutputStream(new FdSink(this.#file(), Number(offset)));
  }
  appendViaStream(): OutputStream {
    if (!this.flags.write) throw 'bad-descriptor';
    const fd = this.#file();
    const sink = new FdSink(fd);
    return new OutputStream({ write: (bytes) => new FdSink(fd, fstatSync(fd).size).write(bytes), capacity: () => sink.capacity() });
  }
  advise(): void {}
  syncData(): void {
    fsCall(() => fdatasyncSync(this.fd));
  }
  sync(): void {
    fsCall(() => fsyncSync(this.fd));
  }
  getFlags(): DescriptorFlags {
    return this.flags;
  }
  getType(): string {
    return this.#type;
  }
  setSize(size: bigint): void {
    if (!this.flags.write) throw 'bad-descriptor';
    fsCall(() => ftruncateSync(this.#file(), Number(size)));
  }
  setTimes(access: NewTimestamp, modification: NewTimestamp): void {
    const stats = fsCall(() => fstatSync(this.fd, { bigint: true }));
    fsCall(() => futimesSync(this.fd, timeArg(access, stats.atimeNs), timeArg(modification, stats.mtimeNs)));
  }
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const fd = this.#file();
    if (!this.flags.read) throw 'bad-descriptor';
    const buffer = Buffer.allocUnsafe(Number(length));
    const n = fsCall(() => readSync(fd, buffer, 0, buffer.length, Number(offset)));
    return [buffer.subarray(0, n), n < buffer.length];
  }
  write(buffer: Uint8Array, offset: bigint): bigint {
    const fd = this.#file();
    if (!this.flags.write) throw 'bad-descriptor';
    return BigInt(fsCall(() => writeSync(fd, buffer, 0, buffer.length, Number(offset))));
  }
  readDirectory(): DirectoryEntryStream {
    if (this.#type !== 'directory') throw 'not-directory';
    return new DirectoryEntryStream(fsCall(() => readdirSync(this.path, { withFileTypes: true })));
  }
  createDirectoryAt(path: string): void {
    const target = this.#at(path);
    fsCall(() => mkdirSync(target));
  }
  stat() {
    return descriptorStat(fsCall(() => fstatSync(this.fd, { bigint: true })));
  }
  statAt(pathFlags: PathFlags, path: string) {
    const target = this.#at(path);
    return descriptorStat(fsCall(() => (pathFlags.symlinkFollow ? statSync : lstatSync)(target, { bigint: true })));
  }
  setTimesAt(pathFlags: PathFlags, path: string, access: NewTimestamp, modification: NewTimestamp): void {
    const target = this.#at(path);
    const follow = pathFlags.symlinkFollow;
    const stats = fsCall(() => (follow ? statSync : lstatSync)(target, { bigint: true }));
    fsCall(() => (follow ? utimesSync : lutimesSync)(target, timeArg(access, stats.atimeNs), timeArg(modification, stats.mtimeNs)));
  }
  linkAt(_oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const from = this.#at(oldPath);
    const to = newDescriptor.#at(newPath);
    fsCall(() => linkSync(from, to));
  }
  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    const target = this.#at(path);
    let mode = flags.write ? (flags.read ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY;
    if (openFlags.create) mode |= constants.O_CREAT;
    if (openFlags.exclusive) mode |= constants.O_EXCL;
    if (openFlags.truncate) mode |= constants.O_TRUNC;
    if (openFlags.directory) mode |= constants.O_DIRECTORY;
    if (!pathFlags.symlinkFollow) mode |= constants.O_NOFOLLOW;
    if (flags.dataIntegritySync) mode |= constants.O_DSYNC;
    if (flags.fileIntegritySync) mode |= constants.O_SYNC;
    const fd = fsCall(() => openSync(target, mode, 0o666));
    return new Descriptor(target, fd, flags);
  }
  readlinkAt(path: string): string {
    const target = this.#at(path);
    return fsCall(() => readlinkSync(target, 'utf8'));
  }
  removeDirectoryAt(path: string): void {
    const target = this.#at(path);
    fsCall(() => rmdirSync(target));
  }
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    const from = this.#at(oldPath);
    const to = newDescriptor.#at(newPath);
    fsCall(() => renameSync(from, to));
  }
  symlinkAt(oldPath: string, newPath: string): void {
    if (oldPath.startsWith('/')) throw 'not-permitted';
    const target = this.#at(newPath);
    fsCall(() => symlinkSync(oldPath, target));
  }
  unlinkFileAt(path: string): void {
    const target = this.#at(path);
    fsCall(() => unlinkSync(target));
  }
  isSameObject(other: Descriptor): boolean {
    const a = fstatSync(this.fd, { bigint: true });
    const b = fstatSync(other.fd, { bigint: true });
    return a.dev === b.dev && a.ino === b.ino;
  }
  metadataHash() {
    const stats = fsCall(() => fstatSync(this.fd, { bigint: true }));
    return { lower: stats.ino, upper: stats.dev };
  }
  metadataHashAt(pathFlags: PathFlags, path: string) {
    const target = this.#at(path);
    const stats = fsCall(() => (pathFlags.symlinkFollow ? statSync : lstatSync)(target, { bigint: true }));
    return { lower: stats.ino, upper: stats.dev };
  }
}

export function openPreopen(path: string): Descriptor {
  return new Descriptor(path, openSync(path, constants.O_RDONLY | constants.O_DIRECTORY), { read: true, mutateDirectory: true });
}

export function filesystemInterfaces(preopens: [string, string][]) {
  return {
    'wasi:filesystem/preopens': {
      // Each call hands the guest descriptors it owns (and drops, closing them): fresh ones every time.
      getDirectories: () => preopens.map(([hostPath, name]): [Descriptor, string] => [openPreopen(hostPath), name]),
    },
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      filesystemErrorCode: (error: IoError) => (error.code ? errorCode(error.code) : undefined),
    },
  };
}
