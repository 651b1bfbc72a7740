// Moves frames between a socket and the router: one request frame in, one response frame out, many
// requests in flight at once on one connection.
import type { Duplex } from 'node:stream';
import { Code } from '../errors.ts';
import { encodeResponse } from './codec.ts';
import { dispatch, type Router } from './dispatch.ts';
import { encodeFrame, FrameDecoder, FrameType, MAX_PAYLOAD } from './frame.ts';

// Replies queued for a peer that does not read them: past this, no more requests are read from it
// until it does, so a client that never reads cannot grow the daemon without bound.
export const MAX_QUEUED_BYTES = 8 << 20;

export interface ServedConnection {
  // Resolves once every call received so far has been answered.
  settled(): Promise<void>;
}

export function serveConnection(socket: Duplex, router: Router, onError: (error: Error) => void): ServedConnection {
  const decoder = new FrameDecoder();
  const gone = new AbortController();
  socket.once('close', () => gone.abort(new Error('the ttrpc connection closed')));
  let inFlight = 0;
  let idle: PromiseWithResolvers<void> | undefined;
  const reply = (streamId: number, payload: Uint8Array) => {
    if (!socket.writable) return;
    if (payload.length > MAX_PAYLOAD) {
      payload = encodeResponse({ code: Code.resourceExhausted, message: `response of ${payload.length} bytes exceeds the ttrpc limit of ${MAX_PAYLOAD}` });
    }
    socket.write(encodeFrame({ streamId, type: FrameType.response, flags: 0, payload }));
    if (socket.writableLength > MAX_QUEUED_BYTES && !socket.isPaused()) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  };
  const done = () => {
    if (--inFlight > 0) return;
    idle?.resolve();
    idle = undefined;
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
      inFlight++;
      dispatch(router, frame.payload, gone.signal).then((payload) => reply(frame.streamId, payload), onError).finally(done);
    }
  });
  socket.on('error', onError);
  return {
    settled() {
      if (inFlight === 0) return Promise.resolve();
      idle ??= Promise.withResolvers<void>();
      return idle.promise;
    },
  };
}
