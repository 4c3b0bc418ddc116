#include "cli/memory_reuse.h"

#include <malloc.h>

namespace iotcensus::cli {

void keep_freed_memory() {
  // Advice only: if glibc refuses a setting, allocation works as before.
  (void)mallopt(M_MMAP_MAX, 0);
  (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace iotcensus::cli
