// The shim's actions as containerd invokes them.
import { parseFlags } from './flags.ts';

export async function runShimCommand(argv: string[], version: string): Promise<void> {
  const operator = argv[0];
  if (operator === 'install' || operator === 'uninstall' || operator === 'doctor') return operatorCommand(operator, argv.slice(1));
  if (operator === 'image') return (await import('./image/command.ts')).imageCommand(argv.slice(1), (line) => process.stdout.write(`${line}\n`));
  const flags = parseFlags(argv);
  switch (flags.action) {
    case 'serve':
      return (await import('./daemon.ts')).serve(flags, version);
    default:
      throw new Error(`unknown command ${JSON.stringify(flags.action)}: containerd runs this binary with start, delete or serve; operators use install, uninstall, doctor, image or version (see containerd-shim-wasmts-v1 --help)`);
  }
}

async function operatorCommand(command: 'install' | 'uninstall' | 'doctor', args: string[]): Promise<void> {
  const { install, parseInstallArgs, uninstall } = await import('./install/install.ts');
  const options = parseInstallArgs(args);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  if (command === 'install') {
    const sea = await import('node:sea');
    // From the sources, process.execPath is node itself: installing that as the shim would be wrong.
    if (!sea.isSea()) throw new Error('install copies the single executable: run it from dist/containerd-shim-wasmts-v1 (make build)');
    return install(options, process.execPath, sea.getAsset('runtimeclass.yaml', 'utf8'), log);
  }
  if (command === 'uninstall') return uninstall(options, log);
  const { doctorChecks, printChecks } = await import('./install/doctor.ts');
  if (!printChecks(doctorChecks(options), log)) process.exitCode = 1;
}
