// What mapping a capture costs on this machine: maps FILE, gives the madvise advice listed (in
// order), reads one byte in 64 (first pass: page faults included), reads again (second pass),
// and unmaps; three rounds. Prints ns per 106-byte packet (the goal file's frames) for each part.
//
// Usage: map_cost FILE [ADVICE...]  ADVICE: hugepage, sequential, willneed (none: no advice).
// The page cache's state decides much of the cost (docs/benchmarks.md, session 7).

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: map_cost FILE [hugepage|sequential|willneed]...\n");
    return 2;
  }
  std::vector<int> advice;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "hugepage") {
      advice.push_back(MADV_HUGEPAGE);
    } else if (a == "sequential") {
      advice.push_back(MADV_SEQUENTIAL);
    } else if (a == "willneed") {
      advice.push_back(MADV_WILLNEED);
    } else {
      fmt::print(stderr, "map_cost: unknown advice '{}'\n", a);
      return 2;
    }
  }
  const int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
    fmt::print(stderr, "map_cost: {}: cannot open: {}\n", argv[1], strerror(errno));
    return 1;
  }
  const auto n = static_cast<size_t>(st.st_size);
  const double packets = static_cast<double>(n) / 106.0;
  uint64_t sum = 0;
  using Clock = std::chrono::steady_clock;
  auto ns = [&](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count() * 1e9 / packets;
  };
  for (int round = 0; round < 3; ++round) {
    const auto t0 = Clock::now();
    void* m = mmap(nullptr, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      fmt::print(stderr, "map_cost: {}: cannot map: {}\n", argv[1], strerror(errno));
      return 1;
    }
    for (int a : advice) madvise(m, n, a);
    const auto* p = static_cast<const volatile uint8_t*>(m);
    const auto t1 = Clock::now();
    for (size_t i = 0; i < n; i += 64) sum += p[i];
    const auto t2 = Clock::now();
    for (size_t i = 0; i < n; i += 64) sum += p[i];
    const auto t3 = Clock::now();
    munmap(m, n);
    const auto t4 = Clock::now();
    fmt::print("map+advice {:.2f}  first pass {:.2f}  second pass {:.2f}  unmap {:.2f} ns/packet\n",
               ns(t0, t1), ns(t1, t2), ns(t2, t3), ns(t3, t4));
  }
  close(fd);
  return sum == 1 ? 3 : 0;  // uses the sum, so the reads stay
}
