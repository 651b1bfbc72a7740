// What the shim hands the runner about the guest: the original process of the OCI spec.
// Passed in one environment variable so the guest's own environment stays exactly the spec's.

export const GUEST_ENV_VAR = 'WASMTS_GUEST';

export interface GuestConfig {
  module: string;
  args: string[];
  env: string[];
  cwd: string;
}

export function parseGuestConfig(text: string | undefined): GuestConfig {
  if (!text) throw new Error(`${GUEST_ENV_VAR} is not set: the runner is started by containerd-shim-wasmts-v1, not by hand`);
  const value = JSON.parse(text) as Partial<GuestConfig>;
  if (typeof value.module !== 'string' || !Array.isArray(value.args) || !Array.isArray(value.env) || typeof value.cwd !== 'string') {
    throw new Error(`${GUEST_ENV_VAR} does not hold a guest config (module, args, env, cwd)`);
  }
  return value as GuestConfig;
}
