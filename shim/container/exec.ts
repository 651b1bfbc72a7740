// Runs a helper program (runc, mount, umount) and turns its failure into an error carrying its stderr.
// child_process is loaded on first use: `delete` usually needs no helper and should not pay for it.
// Every helper is bounded: one that never returns (a stuck runc) is killed and reported, and the task
// it served is answered anyway.
export const HELPER_TIMEOUT_MS = Number(process.env.WASMTS_RUNC_TIMEOUT_MS) || 30_000;

// `input`, when given, is the helper's stdin.
export async function execHelper(command: string, args: string[], timeoutMs = HELPER_TIMEOUT_MS, env = process.env, input?: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', env }, (error, stdout, stderr) => {
      if (error?.killed) reject(new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs / 1000} s and was killed`));
      else if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
