// Sends ForwardRequests to containerd's ttrpc socket, reconnecting after a failure.
import { TtrpcClient } from '../ttrpc/client.ts';
import type { Transport } from './publisher.ts';

const SERVICE = 'containerd.services.events.ttrpc.v1.Events';

export function ttrpcTransport(address: string): Transport {
  let client: TtrpcClient | undefined;
  return async (payload) => {
    try {
      if (!client || client.closed) client = await TtrpcClient.connect(address.replace(/^unix:\/\//, ''));
      await client.call(SERVICE, 'Forward', payload);
    } catch (error) {
      client?.close();
      client = undefined;
      throw error;
    }
  };
}
