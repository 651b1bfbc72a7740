export async function runShimCommand(argv: string[], version: string) { throw new Error("todo " + argv + version); }
