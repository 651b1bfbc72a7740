// wasi:random: bytes from the OS's CSPRNG for all three interfaces (the insecure ones may be secure).
import { randomBytes, randomFillSync } from 'node:crypto';

const u64 = () => randomBytes(8).readBigUInt64LE();
const bytes = (len: bigint) => randomFillSync(new Uint8Array(Number(len)));

export const randomInterfaces = {
  'wasi:random/random': { getRandomBytes: bytes, getRandomU64: u64 },
  'wasi:random/insecure': { getInsecureRandomBytes: bytes, getInsecureRandomU64: u64 },
  'wasi:random/insecure-seed': { insecureSeed: (): [bigint, bigint] => [u64(), u64()] },
};
