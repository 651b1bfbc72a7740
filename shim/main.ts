// The single executable's entry: the runner inside a wasm container, or the shim containerd starts.
// Each path loads only what it needs, so `start` and `delete` stay quick.
declare const WASMTS_VERSION: string;

const version = typeof WASMTS_VERSION === 'string' ? WASMTS_VERSION : 'dev';
const argv = process.argv.slice(2);

async function main(): Promise<void> {
  if (argv[0] === 'run') {
    await (await import('../runtime/runner.ts')).runGuest(argv[1]);
    return;
  }
  if (argv[0] === 'transpile') {
    await (await import('../runtime/component/transpile.ts')).transpileCommand(argv.slice(1));
    return;
  }
  if (argv[0] === 'check-module') {
    await (await import('./container/wasm-check.ts')).checkModuleCommand(argv.slice(1));
    return;
  }
  if (argv[0] === '-info' || argv[0] === '--info') {
    (await import('./bootstrap/info.ts')).printRuntimeInfo(version);
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

main().catch((error: Error) => {
  process.stderr.write(`containerd-shim-wasmts-v1: ${error.message}\n`);
  process.exit(1);
});
