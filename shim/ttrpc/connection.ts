// Moves frames between a socket and the router: one request frame in, one response frame out, many
// requests in flight at once on one connection.
import type { Duplex } from 'node:stream';
import { Code } from '../errors.ts';
import { encodeResponse } from './codec.ts';
import { dispatch, type Router } from './dispatch.ts';
import { encodeFrame, FrameDecoder, FrameType, MAX_PAYLOAD } from './frame.ts';

export function serveConnection(socket: Duplex, router: Router, onError: (error: Error) => void): void {
  const decoder = new FrameDecoder();
  const reply = (streamId: number, payload: Uint8Array) => {
    if (!socket.writable) return;
    if (payload.length > MAX_PAYLOAD) {
      payload = encodeResponse({ code: Code.resourceExhausted, message: `response of ${payload.length} bytes exceeds the ttrpc limit of ${MAX_PAYLOAD}` });
    }
    socket.write(encodeFrame({ streamId, type: FrameType.response, flags: 0, payload }));
  };
  socket.on('data', (chunk: Buffer) => {
    for (const item of decoder.push(chunk)) {
      if ('oversize' in item) {
        const { streamId, length } = item.oversize;
        reply(streamId, encodeResponse({ code: Code.resourceExhausted, message: `message of ${length} bytes exceeds the ttrpc limit of ${MAX_PAYLOAD}` }));
        continue;
      }
      const { frame } = item;
      // Data frames belong to streaming calls, which containerd's task API does not use.
      if (frame.type !== FrameType.request) continue;
      dispatch(router, frame.payload).then((payload) => reply(frame.streamId, payload), onError);
    }
  });
  socket.on('error', onError);
}
