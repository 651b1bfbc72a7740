// One error type for the shim; toStatus() is the only place an error becomes a wire code.

export const Code = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
  failedPrecondition: 9,
  resourceExhausted: 8,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
} as const;
export type CodeValue = (typeof Code)[keyof typeof Code];

export class ShimError extends Error {
  readonly code: CodeValue;
  constructor(code: CodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export const cancelled = (message: string) => new ShimError(Code.cancelled, message);
export const invalidArgument = (message: string) => new ShimError(Code.invalidArgument, message);
export const notFound = (message: string) => new ShimError(Code.notFound, message);
export const alreadyExists = (message: string) => new ShimError(Code.alreadyExists, message);
export const failedPrecondition = (message: string) => new ShimError(Code.failedPrecondition, message);
export const unimplemented = (message: string) => new ShimError(Code.unimplemented, message);

export function toStatus(error: unknown): { code: CodeValue; message: string } {
  if (error instanceof ShimError) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: Code.unknown, message };
}
