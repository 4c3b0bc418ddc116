// Tests the tally's partition buffer: every record comes back once, partitions in order, each
// in the order pushed, through full and partial stages and blocks, and again after a drain.
#include "tally/partition_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace iotcensus::tally {
namespace {

struct Record {
  uint64_t partition;
  uint64_t sequence;
  uint64_t check;
  uint64_t pad;
};

TEST(PartitionBuffer, DrainsEachPartitionInTheOrderPushed) {
  PartitionBuffer<Record, 4, 64> buffer;  // 16 partitions, blocks of 64 records
  std::mt19937_64 rng(7);
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    // Partition sizes from 0 to well past a block, so that stages and blocks end anywhere.
    std::vector<std::vector<uint64_t>> pushed(16);
    const size_t n = round == 1 ? 5 : 3000;
    for (uint64_t s = 0; s < n; ++s) {
      const uint64_t p = rng() % 15;  // partition 15 stays empty
      pushed[p].push_back(s);
      *buffer.next(p) = Record{p, s, s * 2654435761u, 0};
      buffer.pushed(p);
    }
    ASSERT_EQ(buffer.size(), n);
    std::vector<std::vector<uint64_t>> drained(16);
    size_t last_partition = 0;
    buffer.drain([&](size_t partition, const Record* r, size_t count) {
      EXPECT_GE(partition, last_partition);
      last_partition = partition;
      for (size_t i = 0; i < count; ++i) {
        EXPECT_EQ(r[i].partition, partition);
        EXPECT_EQ(r[i].check, r[i].sequence * 2654435761u);
        drained[partition].push_back(r[i].sequence);
      }
    });
    EXPECT_EQ(drained, pushed);
    EXPECT_EQ(buffer.size(), 0u);
  }
}

}  // namespace
}  // namespace iotcensus::tally
