// Runs a helper program (runc, mount, umount) and turns its failure into an error carrying its stderr.
// child_process is loaded on first use: `delete` usually needs no helper and should not pay for it.
export async function execHelper(command: string, args: string[]): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}
