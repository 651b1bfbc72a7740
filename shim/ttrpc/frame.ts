// ttrpc framing: a 10-byte big-endian header (length u32, stream id u32, type u8, flags u8), then payload.
// Pure functions over bytes; sockets live in connection.ts.

export const HEADER_LENGTH = 10;
export const MAX_PAYLOAD = 4 << 20;

export const FrameType = { request: 1, response: 2, data: 3 } as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: Uint8Array;
}

export function encodeFrame(frame: Frame): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + frame.payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, frame.payload.length);
  view.setUint32(4, frame.streamId);
  view.setUint8(8, frame.type);
  view.setUint8(9, frame.flags);
  out.set(frame.payload, HEADER_LENGTH);
  return out;
}

// A frame whose header announced more than MAX_PAYLOAD: the payload is skipped, the stream must be
// answered with ResourceExhausted, and the connection stays usable.
export interface OversizeFrame {
  streamId: number;
  type: number;
  length: number;
}

export type Decoded = { frame: Frame } | { oversize: OversizeFrame };

// Incremental decoder: push() any chunking of the byte stream, get whole frames back in order.
export class FrameDecoder {
  #buffered: Uint8Array[] = [];
  #bufferedLength = 0;
  #skipRemaining = 0;

  push(chunk: Uint8Array): Decoded[] {
    const out: Decoded[] = [];
    let data = chunk;
    if (this.#skipRemaining > 0) {
      const skip = Math.min(this.#skipRemaining, data.length);
      this.#skipRemaining -= skip;
      data = data.subarray(skip);
    }
    if (data.length === 0) return out;
    this.#buffered.push(data);
    this.#bufferedLength += data.length;
    let bytes = this.#take();
    let offset = 0;
    while (bytes.length - offset >= HEADER_LENGTH) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, HEADER_LENGTH);
      const length = view.getUint32(0);
      const streamId = view.getUint32(4);
      const type = view.getUint8(8);
      const flags = view.getUint8(9);
      if (length > MAX_PAYLOAD) {
        out.push({ oversize: { streamId, type, length } });
        const available = bytes.length - offset - HEADER_LENGTH;
        const skip = Math.min(length, available);
        offset += HEADER_LENGTH + skip;
        this.#skipRemaining = length - skip;
        if (this.#skipRemaining > 0) break;
        continue;
      }
      if (bytes.length - offset - HEADER_LENGTH < length) break;
      const start = offset + HEADER_LENGTH;
      out.push({ frame: { streamId, type, flags, payload: bytes.slice(start, start + length) } });
      offset = start + length;
    }
    bytes = bytes.subarray(offset);
    this.#buffered = bytes.length > 0 ? [bytes] : [];
    this.#bufferedLength = bytes.length;
    return out;
  }

  #take(): Uint8Array {
    if (this.#buffered.length === 1) return this.#buffered[0]!;
    const joined = new Uint8Array(this.#bufferedLength);
    let at = 0;
    for (const part of this.#buffered) {
      joined.set(part, at);
      at += part.length;
    }
    return joined;
  }
}
