// The few protobuf messages of the short-lived `start`, `delete` and `-info` processes, encoded and
// decoded by hand: loading the protobuf runtime and its descriptors would cost these processes more
// than half their run time.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

function varint(value: number | bigint): number[] {
  // Negative int32 values (enums such as LogLevel) travel as 64-bit two's complement.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

// Proto3 leaves default values out.
export function varintField(number: number, value: number | bigint): number[] {
  return value === 0 || value === 0n ? [] : [(number << 3) | WIRE_VARINT, ...varint(value)];
}

export function bytesField(number: number, bytes: Uint8Array | number[], keepEmpty = false): number[] {
  if (bytes.length === 0 && !keepEmpty) return [];
  return [(number << 3) | WIRE_LEN, ...varint(bytes.length), ...bytes];
}

export function stringField(number: number, value: string): number[] {
  return bytesField(number, [...new TextEncoder().encode(value)]);
}

export function timestampField(number: number, at: Date): number[] {
  const ms = at.getTime();
  const seconds = Math.floor(ms / 1000);
  return bytesField(number, [...varintField(1, seconds), ...varintField(2, (ms - seconds * 1000) * 1_000_000)], true);
}

export type WireValue = { number: number; varint: bigint } | { number: number; bytes: Uint8Array };

export class WireError extends Error {
  override name = 'WireError';
}

// Every field of a message, in order; throws on anything that is not well-formed protobuf.
export function readFields(message: Uint8Array): WireValue[] {
  const fields: WireValue[] = [];
  let at = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= message.length) throw new WireError('truncated varint');
      const byte = message[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new WireError('varint too long');
  };
  while (at < message.length) {
    const key = readVarint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (number === 0) throw new WireError('field number 0');
    if (wire === WIRE_VARINT) fields.push({ number, varint: readVarint() });
    else if (wire === WIRE_LEN) {
      const length = Number(readVarint());
      if (at + length > message.length) throw new WireError(`field ${number} runs past the end`);
      fields.push({ number, bytes: message.subarray(at, at + length) });
      at += length;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > message.length) throw new WireError(`field ${number} runs past the end`);
    } else throw new WireError(`wire type ${wire} of field ${number} is not supported`);
  }
  return fields;
}

export function stringOf(fields: WireValue[], number: number): string {
  const field = fields.findLast((f) => f.number === number);
  return field && 'bytes' in field ? new TextDecoder().decode(field.bytes) : '';
}
