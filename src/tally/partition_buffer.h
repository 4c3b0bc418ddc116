// Records held in partitions until they are drained, partition after partition, each in the
// order pushed: the tally files packets by source hash so that one partition's sources stay in
// cache while its packets are counted. Records gather in a 64-byte stage per partition that is
// written out whole, bypassing the cache; storage is a pool of fixed blocks, kept when drained.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace iotcensus::tally {

// T must be trivially copyable and its size divide 64 bytes; 2^kPartitionBits partitions,
// blocks of kBlock records.
template <class T, int kPartitionBits, size_t kBlock>
class PartitionBuffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  static constexpr size_t kStageBytes = 64;
  static_assert(kStageBytes % sizeof(T) == 0);
  static constexpr size_t kStage = kStageBytes / sizeof(T);  // records a stage holds
  static_assert(kBlock % kStage == 0);

 public:
  static constexpr size_t kPartitions = size_t{1} << kPartitionBits;

  PartitionBuffer() = default;
  PartitionBuffer(const PartitionBuffer&) = delete;
  PartitionBuffer& operator=(const PartitionBuffer&) = delete;

  // A record is added in two steps, so that it can be written field by field in place: next()
  // is where the partition's next record goes (uninitialised), pushed() adds it once written.
  T* next(size_t partition) {
    return reinterpret_cast<T*>(stages_[partition].bytes + st_count_[partition] * sizeof(T));
  }
  void pushed(size_t partition) {
    if (++st_count_[partition] == kStage) {
      write_stage(parts_[partition], stages_[partition]);
      st_count_[partition] = 0;
    }
    ++size_;
  }
  size_t size() const { return size_; }

  // Calls run(partition, const T* first, size_t n) for the records of partition 0, 1, ... in
  // runs, in the order pushed; then the buffer is empty (its blocks are kept for reuse).
  template <class Run>
  void drain(Run&& run) {
    if (size_ == 0) return;  // nothing held (e.g. a summary after a summary)
#if defined(__SSE2__)
    _mm_sfence();  // the streamed stages are complete before they are read
#endif
    for (size_t k = 0; k < kPartitions; ++k) {
      Part& p = parts_[k];
      for (size_t r = 0; r < st_count_[k]; ++r) {  // a stage partly filled: copied plainly
        if (p.tail == p.end) next_block(p);
        std::memcpy(p.tail++, stages_[k].bytes + r * sizeof(T), sizeof(T));
      }
      st_count_[k] = 0;
      for (size_t i = 0; i < p.blocks.size(); ++i) {
        const T* b = p.blocks[i];
        const size_t n = i + 1 == p.blocks.size() ? static_cast<size_t>(p.tail - b) : kBlock;
        if (n > 0) run(k, b, n);
      }
      free_.insert(free_.end(), p.blocks.begin(), p.blocks.end());
      p.blocks.clear();
      p.tail = p.end = nullptr;
    }
    size_ = 0;
  }

 private:
  struct Part {
    std::vector<T*> blocks;
    T* tail = nullptr;  // next free record of the last block
    T* end = nullptr;
  };
  struct alignas(64) Stage {
    unsigned char bytes[kStageBytes];
  };
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  // Appends a full stage to the partition's last block with streaming stores: the block's lines
  // are not read first, as plain stores to them would be.
  void write_stage(Part& p, const Stage& st) {
    if (p.tail == p.end) next_block(p);
#if defined(__SSE2__)
    auto* to = reinterpret_cast<__m128i*>(p.tail);
    const auto* from = reinterpret_cast<const __m128i*>(st.bytes);
    for (size_t i = 0; i < kStageBytes / 16; ++i)
      _mm_stream_si128(to + i, _mm_load_si128(from + i));
#else
    std::memcpy(p.tail, st.bytes, kStageBytes);
#endif
    p.tail += kStage;
  }
  void next_block(Part& p) {
    T* b = nullptr;
    if (!free_.empty()) {
      b = free_.back();
      free_.pop_back();
    } else {
      b = static_cast<T*>(std::aligned_alloc(64, kBlock * sizeof(T)));
      if (b == nullptr) throw std::bad_alloc();
      owned_.emplace_back(b);
    }
    p.blocks.push_back(b);
    p.tail = b;
    p.end = b + kBlock;
  }

  std::array<Stage, kPartitions> stages_;
  std::array<uint32_t, kPartitions> st_count_{};
  std::array<Part, kPartitions> parts_;
  std::vector<T*> free_;
  std::vector<std::unique_ptr<T, Free>> owned_;
  size_t size_ = 0;
};

}  // namespace iotcensus::tally
