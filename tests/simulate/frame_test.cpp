// Tests for the request frame templates: FrameTemplate::write gives the same bytes as
// write_request_frame for random IPv4 and IPv6 sources, ports, IDs, TTLs and NTP payloads.
#include "simulate/frame.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

#include "core/address.h"

namespace iotcensus::simulate {
namespace {

TEST(SimulateFrame, TemplateWritesTheSameBytesAsThePlainFrame) {
  std::mt19937_64 rng(5);
  const core::Address server4 = core::Address::from_v4(0x8069270Bu);
  const core::Address server6{0x20010db800000000ULL, 0x123ULL};
  size_t zero_sums = 0;
  for (int i = 0; i < 300'000; ++i) {
    const bool v4 = i % 3 != 0;
    const core::Address src =
        v4 ? core::Address::from_v4(static_cast<uint32_t>(rng())) : core::Address{rng(), rng()};
    const auto ttl = static_cast<uint8_t>(rng());
    const FrameTemplate frame(src, v4 ? server4 : server6, ttl);
    for (int k = 0; k < 3; ++k) {
      std::array<uint8_t, 48> ntp{};
      const uint64_t fill = rng();
      for (size_t b = 0; b < ntp.size(); ++b) {
        // Mostly zero payloads (like the Netgear flood) and fully random ones.
        ntp[b] = (fill & 1) != 0 ? static_cast<uint8_t>(rng()) : (b == 0 ? 0x0b : 0);
      }
      FrameFields f;
      f.src = src;
      f.dst = v4 ? server4 : server6;
      f.src_port = static_cast<uint16_t>(rng());
      f.ip_id = static_cast<uint16_t>(rng());
      f.ttl = ttl;
      f.ntp = ntp.data();
      std::array<uint8_t, kMaxFrame> want{};
      std::array<uint8_t, kMaxFrame> got{};
      const size_t want_len = write_request_frame(want.data(), f);
      const size_t got_len = frame.write(got.data(), f.src_port, f.ip_id, ntp.data());
      ASSERT_EQ(got_len, want_len);
      ASSERT_TRUE(std::equal(want.begin(), want.begin() + static_cast<long>(want_len), got.begin()))
          << "request " << i << "." << k << (v4 ? " IPv4" : " IPv6");
      const size_t udp = v4 ? 14 + 20 : 14 + 40;
      if (want[udp + 6] == 0xff && want[udp + 7] == 0xff) ++zero_sums;
    }
  }
  EXPECT_GT(zero_sums, 0u);  // the UDP checksum that folds to 0 (sent as 0xffff) was covered
}

}  // namespace
}  // namespace iotcensus::simulate
