import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_SERVICE_NAME, parseKeyValueList, tracingConfig } from './config.ts';

test('no endpoint, no tracing', () => {
  assert.is(tracingConfig({}), undefined);
  assert.is(tracingConfig({ OTEL_SERVICE_NAME: 'x' }), undefined);
});

test('the general endpoint gets /v1/traces for http/protobuf, the default protocol', () => {
  const config = tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })!;
  assert.equal([config.protocol, config.endpoint, config.serviceName], ['http/protobuf', 'http://collector:4318/v1/traces', DEFAULT_SERVICE_NAME]);
});

test('the traces endpoint is used as it is, before the general one', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' };
  assert.is(tracingConfig(env)!.endpoint, 'http://b:9999/custom');
});

test('grpc takes the endpoint as the collector address, host:port included', () => {
  assert.is(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })!.endpoint, 'http://collector:4317');
  assert.is(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })!.endpoint, 'http://collector:4317');
});

test('headers, service name and resource attributes', () => {
  const config = tracingConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-tenant = t1',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=t2',
    OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment=prod',
  })!;
  assert.equal(config.headers, { authorization: 'Bearer abc', 'x-tenant': 't2' });
  assert.is(config.serviceName, 'from-resource');
  assert.is(config.resource['deployment.environment'], 'prod');
  assert.is(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'mine', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' })!.serviceName, 'mine');
});

test('the service name containerd 2.x gives itself (its shims inherit it) is not the shim\'s', () => {
  assert.is(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'containerd' })!.serviceName, DEFAULT_SERVICE_NAME);
});

test('switched off, or asked for what it cannot do', () => {
  assert.is(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }), undefined);
  assert.is(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }), undefined);
  assert.throws(() => tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), /http\/json is not supported by wasmts: use http\/protobuf or grpc/);
  assert.throws(() => tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }), /is not a URL: set OTEL_EXPORTER_OTLP_ENDPOINT/);
});

test('key=value lists skip what is not one', () => {
  assert.equal(parseKeyValueList('a=1,,=x,b,c=%zz'), { a: '1', c: '%zz' });
});

test.run();
