// `image example http`: a wasi:http server that answers every request 200 with a hello line naming
// the path it was asked for. No libc: the interfaces are called through the canonical ABI by hand,
// which keeps the component a few kilobytes. scripts/build.ts makes it a component and ships it.
#include <stdint.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define TYPES "wasi:http/types@0.2.10"
#define STREAMS "wasi:io/streams@0.2.10"

IMPORT(TYPES, "[constructor]fields") int32_t fields_new(void);
IMPORT(TYPES, "[method]fields.append") void fields_append(int32_t, const char *, int32_t, const char *, int32_t, void *);
IMPORT(TYPES, "[constructor]outgoing-response") int32_t response_new(int32_t);
IMPORT(TYPES, "[method]outgoing-response.body") void response_body(int32_t, void *);
IMPORT(TYPES, "[method]outgoing-body.write") void body_write(int32_t, void *);
IMPORT(TYPES, "[static]outgoing-body.finish") void body_finish(int32_t, int32_t, int32_t, void *);
IMPORT(TYPES, "[static]response-outparam.set") void outparam_set(int32_t, int32_t, int32_t, int32_t, int64_t, int32_t, int32_t, int32_t, int32_t);
IMPORT(TYPES, "[method]incoming-request.path-with-query") void request_path(int32_t, void *);
IMPORT(TYPES, "[resource-drop]incoming-request") void request_drop(int32_t);
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush") void stream_write(int32_t, const void *, int32_t, void *);
IMPORT(STREAMS, "[resource-drop]output-stream") void output_stream_drop(int32_t);

#include "cabi-arena.h"

static char *append(char *to, const char *from, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) *to++ = from[i];
  return to;
}

// Results and handles come back through a return area: an option or result tag, then its payload.
typedef struct { int32_t words[4]; } ret_area;

static const char GREETING[] = "Hello from a wasi:http component, run by wasmts: you asked for ";

__attribute__((export_name("wasi:http/incoming-handler@0.2.10#handle"))) void handle(int32_t request, int32_t out) {
  used = 0;
  ret_area ret __attribute__((aligned(8)));
  request_path(request, &ret);
  const char *path = ret.words[0] & 0xff ? (const char *)ret.words[1] : "/";
  uint32_t path_len = ret.words[0] & 0xff ? (uint32_t)ret.words[2] : 1;
  uint32_t greeting_len = sizeof GREETING - 1;
  char *text = cabi_realloc(0, 0, 1, greeting_len + path_len + 1);
  char *end = append(append(text, GREETING, greeting_len), path, path_len);
  *end++ = '\n';
  request_drop(request);

  int32_t headers = fields_new();
  fields_append(headers, "content-type", 12, "text/plain; charset=utf-8", 25, &ret);
  // A new response's status is 200.
  int32_t response = response_new(headers);
  response_body(response, &ret);
  int32_t body = ret.words[1];
  outparam_set(out, 0, response, 0, 0, 0, 0, 0, 0);
  body_write(body, &ret);
  int32_t stream = ret.words[1];
  // blocking-write-and-flush takes at most 4096 bytes a call.
  uint32_t len = end - text;
  for (uint32_t at = 0; at < len; at += 4096) stream_write(stream, text + at, len - at < 4096 ? len - at : 4096, &ret);
  output_stream_drop(stream);
  body_finish(body, 0, 0, &ret);
}
