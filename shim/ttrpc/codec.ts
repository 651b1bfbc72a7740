// The only ttrpc file that knows protobuf: the Request and Response envelopes.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { RequestSchema, ResponseSchema, type Request } from '../protocol/gen/ttrpc_pb.ts';
import { StatusSchema } from '../protocol/gen/rpc_status_pb.ts';

export function decodeRequest(bytes: Uint8Array): Request {
  return fromBinary(RequestSchema, bytes);
}

export function encodeRequest(service: string, method: string, payload: Uint8Array, timeoutNano = 0n): Uint8Array {
  return toBinary(RequestSchema, create(RequestSchema, { service, method, payload, timeoutNano }));
}

export function encodeResponse(result: { payload: Uint8Array } | { code: number; message: string }): Uint8Array {
  if ('payload' in result) return toBinary(ResponseSchema, create(ResponseSchema, { payload: result.payload }));
  const status = create(StatusSchema, { code: result.code, message: result.message });
  return toBinary(ResponseSchema, create(ResponseSchema, { status }));
}

export function decodeResponse(bytes: Uint8Array): { payload: Uint8Array } | { code: number; message: string } {
  const response = fromBinary(ResponseSchema, bytes);
  if (response.status && response.status.code !== 0) return { code: response.status.code, message: response.status.message };
  return { payload: response.payload };
}
