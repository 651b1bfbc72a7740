// A task call as a server span named as containerd's otelttrpc names its client span
// (`containerd.task.v2.Task/Create`), in the trace containerd's `traceparent` metadata names.
import type { CallContext } from '../ttrpc/dispatch.ts';
import { inSpan } from '../tracing/api.ts';

export function traced<R extends { id: string; execId?: string }, O>(call: (request: R, context: CallContext) => Promise<O> | O): (request: R, context: CallContext) => Promise<O> {
  return (request, context) => {
    const traceparent = context.metadata.get('traceparent')?.[0];
    const tracestate = context.metadata.get('tracestate')?.[0];
    return inSpan(`${context.service}/${context.method}`, {
      kind: 'server',
      remote: traceparent ? { traceparent, tracestate } : undefined,
      attributes: {
        'rpc.system': 'ttrpc',
        'rpc.service': context.service,
        'rpc.method': context.method,
        'container.id': request.id,
        'containerd.exec.id': request.execId || undefined,
        // containerd 1.x names the namespace in the shim's flags only (the resource has it).
        'containerd.namespace': context.namespace || undefined,
      },
    }, async () => call(request, context));
  };
}
