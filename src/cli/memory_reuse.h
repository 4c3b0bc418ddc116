// Process-wide allocator policy for batch commands: memory a capture freed is kept and reused
// by the next one instead of being returned to the system and faulted in (and zeroed) again.
#pragma once

namespace iotcensus::cli {

// Serves every allocation from the heap (no per-allocation mmap) and returns freed memory to the
// system only beyond 1 GiB. For ingest, whose tallies of one capture are hundreds of MB: the next
// capture then writes to pages already mapped. Not for long-running servers.
void keep_freed_memory();

}  // namespace iotcensus::cli
