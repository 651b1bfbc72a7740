// Every command but the runner's and those containerd runs per task (bootstrap/main.ts): the daemon,
// the subcommands it runs (transpile, check-module) and the operators'.
declare const WASMTS_VERSION: string;

const version = typeof WASMTS_VERSION === 'string' ? WASMTS_VERSION : 'dev';

export async function runShimMain(argv: string[]): Promise<void> {
  if (argv[0] === 'transpile') {
    await (await import('../runtime/component/transpile.ts')).transpileCommand(argv.slice(1));
    return;
  }
  if (argv[0] === 'check-module') {
    await (await import('./container/wasm-check.ts')).checkModuleCommand(argv.slice(1));
    return;
  }
  if (argv[0] === '--help' || argv[0] === '-help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write((await import('./help.ts')).helpText(argv[0] === 'help' ? argv[1] : undefined));
    return;
  }
  if (argv[0] === 'version' || argv.includes('--version') || argv.includes('-version') || argv.includes('-v')) {
    process.stdout.write(`containerd-shim-wasmts-v1 ${version}\nnode ${process.version}\n`);
    return;
  }
  const { runShimCommand } = await import('./command.ts');
  await runShimCommand(argv, version);
}

