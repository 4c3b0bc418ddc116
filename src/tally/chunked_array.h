// An append-only array in fixed chunks that never move: growing copies nothing, and chunks are
// 2 MB aligned and advised onto huge pages, for tables read at random (the tally's entries).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <vector>

namespace iotcensus::tally {

// T must be trivially copyable and destructible; kChunkBits sets 2^kChunkBits elements a chunk.
template <class T, int kChunkBits>
class ChunkedArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  static constexpr size_t kChunk = size_t{1} << kChunkBits;

  ChunkedArray() = default;
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;
  ~ChunkedArray() {
    for (T* c : chunks_) std::free(c);
  }

  T& operator[](size_t i) { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  size_t size() const { return size_; }

  void push_back(const T& value) {
    if ((size_ & (kChunk - 1)) == 0 && (size_ >> kChunkBits) == chunks_.size()) add_chunk();
    new (&(*this)[size_]) T(value);
    ++size_;
  }

 private:
  void add_chunk() {
    constexpr size_t kHugePage = size_t{2} << 20;
    const size_t bytes = (kChunk * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, bytes);
    if (p == nullptr) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without it, 4 KB pages
    chunks_.push_back(static_cast<T*>(p));
  }

  std::vector<T*> chunks_;
  size_t size_ = 0;
};

}  // namespace iotcensus::tally
