// cabi_realloc for a component in C without libc: a bump arena above the data, grown as needed.
// The host copies what it returns (paths, bodies, lists) into memory it asks for here. A server sets
// `used` to 0 at each request, so nothing of a request outlives it and an instance serving many
// requests (WASMTS_HTTP_INSTANCE=reuse) does not grow with them.
#include <stdint.h>

extern unsigned char __heap_base;
static uint32_t used;

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, uint32_t old_size, uint32_t align, uint32_t new_size) {
  uintptr_t at = ((uintptr_t)&__heap_base + used + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = at + new_size;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (uintptr_t)-1) __builtin_trap();
  used = end - (uintptr_t)&__heap_base;
  unsigned char *p = (unsigned char *)at;
  for (uint32_t i = 0; old && i < old_size && i < new_size; i++) p[i] = ((unsigned char *)old)[i];
  return p;
}
