// The synchronous host a component command runs on, keyed by interface name as jco's glue asks for
// them. Everything here runs on the runner's main thread: no worker, no event loop turn per call.
import { cliInterfaces, type CliConfig } from './cli.ts';
import { clockInterfaces } from './clocks.ts';
import { filesystemInterfaces } from './filesystem.ts';
import { ioInterfaces } from './io.ts';
import { randomInterfaces } from './random.ts';

export interface HostConfig extends CliConfig {
  // [host path, guest name] pairs.
  preopens: [string, string][];
}

export function createHost(config: HostConfig): Record<string, Record<string, unknown>> {
  return { ...ioInterfaces, ...clockInterfaces, ...randomInterfaces, ...cliInterfaces(config), ...filesystemInterfaces(config.preopens) };
}
