import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Code, ShimError, failedPrecondition, invalidArgument, notFound, toStatus, unimplemented, alreadyExists } from './errors.ts';

test('each domain error maps to the code containerd turns into its errdefs', () => {
  const table: [Error, number][] = [
    [invalidArgument('x'), 3],
    [notFound('x'), 5],
    [alreadyExists('x'), 6],
    [failedPrecondition('x'), 9],
    [unimplemented('x'), 12],
    [new ShimError(Code.unavailable, 'x'), 14],
    [new Error('boom'), 2],
  ];
  for (const [error, code] of table) assert.is(toStatus(error).code, code, error.message);
});

test('a thrown non-Error still becomes Unknown with its text', () => {
  assert.equal(toStatus('plain'), { code: Code.unknown, message: 'plain' });
});

test.run();
