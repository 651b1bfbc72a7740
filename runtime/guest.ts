// What the shim hands the runner about the guest: the original process of the OCI spec, in a file
// mounted read-only into the container. A file, not the environment: a pod's env can exceed what
// one environment string may hold (128 KiB), and the runner's own environment stays empty.

export const GUEST_FILE = '/.wasmts/guest.json';

export interface GuestConfig {
  module: string;
  args: string[];
  env: string[];
}

export function parseGuestConfig(text: string, source: string): GuestConfig {
  let value: Partial<GuestConfig>;
  try {
    value = JSON.parse(text) as Partial<GuestConfig>;
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value.module !== 'string' || !Array.isArray(value.args) || !Array.isArray(value.env)) {
    throw new Error(`${source} does not hold a guest config (module, args, env)`);
  }
  return value as GuestConfig;
}
