// uvu drops an error thrown by a `before` hook without a word (its runner returns from a `finally`):
// every test of the file then reads 0 of N with no reason. This says why, and fails the file.
export function before(test: { before: (hook: () => Promise<void>) => void }, hook: () => unknown): void {
  test.before(async () => {
    try {
      await hook();
    } catch (error) {
      process.stderr.write(`before failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
      throw error;
    }
  });
}
