// The packet loops of CaptureFile, kept in a header so that the visitor inlines into them:
// this is the hot path from file bytes to decoders.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/time_bin.h"

namespace iotcensus::capture {

namespace detail {

inline uint32_t load32(const uint8_t* p, bool swapped) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}
inline uint16_t load16(const uint8_t* p, bool swapped) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return swapped ? __builtin_bswap16(v) : v;
}
inline uint64_t load64(const uint8_t* p, bool swapped) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return swapped ? __builtin_bswap64(v) : v;
}

inline constexpr uint32_t kPcapMagicMicro = 0xa1b2c3d4;
inline constexpr uint32_t kPcapMagicNano = 0xa1b23c4d;
inline constexpr uint32_t kPcapngSectionHeader = 0x0a0d0d0a;
inline constexpr uint32_t kPcapngByteOrderMagic = 0x1a2b3c4d;
inline constexpr uint32_t kMaxRecordLength = 256 * 1024 * 4;  // beyond any real snap length

// Timestamp resolution of a pcapng interface: ticks -> nanoseconds.
struct TickScale {
  bool power_of_two = false;
  uint8_t exponent = 6;  // default if_tsresol: 10^-6
  int64_t offset_s = 0;  // if_tsoffset
  int64_t to_ns(uint64_t ticks) const {
    int64_t ns;
    if (power_of_two) {
      // ticks * 10^9 / 2^exponent without overflow: whole seconds, then the fraction.
      const uint64_t whole = exponent >= 64 ? 0 : ticks >> exponent;
      const uint64_t frac = exponent == 0 ? 0 : ticks & ((uint64_t{1} << exponent) - 1);
      uint64_t frac_ns = 0;
      if (exponent <= 34) {
        frac_ns = (frac * 1'000'000'000ULL) >> exponent;  // frac < 2^34, fits in 64 bits
      } else {
        frac_ns = (frac >> (exponent - 34)) * 1'000'000'000ULL >> 34;
      }
      ns = static_cast<int64_t>(whole * 1'000'000'000ULL + frac_ns);
    } else if (exponent <= 9) {
      static constexpr uint64_t kPow10[] = {
          1'000'000'000, 100'000'000, 10'000'000, 1'000'000, 100'000, 10'000, 1'000, 100, 10, 1};
      ns = static_cast<int64_t>(ticks * kPow10[exponent]);
    } else {
      uint64_t div = 1;
      for (int i = 9; i < exponent && i < 28; ++i) div *= 10;
      ns = static_cast<int64_t>(ticks / div);
    }
    return ns + offset_s * 1'000'000'000;
  }
};

struct Interface {
  uint32_t link_type = 0;
  uint32_t snap_length = 0;
  TickScale scale;
};

}  // namespace detail

template <class Visitor>
core::Result<CaptureSummary> CaptureFile::for_each(Visitor&& visit) const {
  if (format_ == CaptureFormat::kPcap) return read_pcap(visit);
  return read_pcapng(visit);
}

template <class Visitor>
core::Result<CaptureSummary> CaptureFile::read_pcap(Visitor& visit) const {
  using detail::load32;
  CaptureSummary summary;
  summary.format = CaptureFormat::kPcap;
  summary.sections = 1;
  summary.interfaces = 1;
  const uint32_t raw_magic = load32(data(), false);
  const bool swapped = raw_magic != detail::kPcapMagicMicro && raw_magic != detail::kPcapMagicNano;
  const uint32_t magic = load32(data(), swapped);
  const bool nano = magic == detail::kPcapMagicNano;
  const uint32_t link_type = load32(data() + 20, swapped) & 0xffff;  // upper bits: FCS info
  summary.link_types.push_back(link_type);
  RawPacket pkt;
  pkt.link_type = link_type;
  const int64_t frac_scale = nano ? 1 : 1000;
  // The records, in the file's byte order (a loop for each, so that no load tests it); the
  // mapping's start and size held in locals, which the visitor's stores cannot change.
  const uint8_t* const base = data();
  const size_t end = size();
  auto records = [&](auto swap) -> core::Result<CaptureSummary> {
    constexpr bool kSwapped = decltype(swap)::value;
    size_t off = 24;
    while (off < end) {
      if (end - off < 16) {
        summary.cut_short = true;
        summary.cut_short_detail =
            fmt::format("file ends inside a record header at byte {} of {}", off, end);
        break;
      }
      const uint8_t* h = base + off;
      const uint32_t sec = load32(h, kSwapped);
      const uint32_t frac = load32(h + 4, kSwapped);
      const uint32_t caplen = load32(h + 8, kSwapped);
      const uint32_t origlen = load32(h + 12, kSwapped);
      if (caplen > detail::kMaxRecordLength) {
        return corrupt(
            off, fmt::format("record {} claims {} captured bytes", summary.records + 1, caplen));
      }
      if (end - off - 16 < caplen) {
        summary.cut_short = true;
        summary.cut_short_detail = fmt::format("record {} needs {} bytes but only {} remain",
                                               summary.records + 1, caplen, end - off - 16);
        break;
      }
      pkt.time_ns = static_cast<int64_t>(sec) * core::kNanosPerSecond + frac * frac_scale;
      pkt.captured_length = caplen;
      pkt.wire_length = origlen;
      pkt.data = h + 16;
      ++summary.records;
      visit(pkt);
      off += 16 + caplen;
    }
    return summary;
  };
  return swapped ? records(std::true_type{}) : records(std::false_type{});
}

template <class Visitor>
core::Result<CaptureSummary> CaptureFile::read_pcapng(Visitor& visit) const {
  using detail::load16;
  using detail::load32;
  using detail::load64;
  CaptureSummary summary;
  summary.format = CaptureFormat::kPcapng;
  std::vector<detail::Interface> interfaces;
  bool swapped = false;
  size_t off = 0;
  RawPacket pkt;
  while (off < size()) {
    if (size() - off < 12) {
      summary.cut_short = true;
      summary.cut_short_detail = fmt::format("file ends inside a block header at byte {}", off);
      break;
    }
    const uint8_t* b = data() + off;
    const uint32_t raw_type = load32(b, false);
    if (raw_type == detail::kPcapngSectionHeader) {
      const uint32_t bom = load32(b + 8, false);
      if (bom == detail::kPcapngByteOrderMagic) {
        swapped = false;
      } else if (bom == __builtin_bswap32(detail::kPcapngByteOrderMagic)) {
        swapped = true;
      } else {
        return corrupt(off, "section header has no byte-order magic");
      }
    }
    const uint32_t type = load32(b, swapped);
    const uint32_t length = load32(b + 4, swapped);
    if (length < 12 || length % 4 != 0) {
      return corrupt(off, fmt::format("block of type {:#x} has invalid length {}", type, length));
    }
    if (length > size() - off) {
      summary.cut_short = true;
      summary.cut_short_detail =
          fmt::format("block of type {:#x} at byte {} needs {} bytes but only {} remain", type, off,
                      length, size() - off);
      break;
    }
    const uint8_t* body = b + 8;
    const uint32_t body_len = length - 12;
    switch (type) {
      case detail::kPcapngSectionHeader: {
        if (body_len < 16) return corrupt(off, "section header block too short");
        const uint16_t major = load16(body + 4, swapped);
        if (major != 1) {
          return corrupt(off, fmt::format("unsupported pcapng version {}.{}", major,
                                          load16(body + 6, swapped)));
        }
        interfaces.clear();  // interface ids are per section
        ++summary.sections;
        break;
      }
      case 1: {  // Interface Description Block
        if (body_len < 8) return corrupt(off, "interface description block too short");
        detail::Interface itf;
        itf.link_type = load16(body, swapped);
        itf.snap_length = load32(body + 4, swapped);
        size_t o = 8;
        while (o + 4 <= body_len) {
          const uint16_t code = load16(body + o, swapped);
          const uint16_t olen = load16(body + o + 2, swapped);
          if (code == 0) break;
          if (o + 4 + olen > body_len) return corrupt(off, "interface option overruns block");
          const uint8_t* v = body + o + 4;
          if (code == 9 && olen >= 1) {  // if_tsresol
            itf.scale.power_of_two = (v[0] & 0x80) != 0;
            itf.scale.exponent = v[0] & 0x7f;
            if (itf.scale.power_of_two ? itf.scale.exponent > 63 : itf.scale.exponent > 27) {
              return corrupt(off, fmt::format("unsupported timestamp resolution {:#x}", v[0]));
            }
          } else if (code == 14 && olen >= 8) {  // if_tsoffset
            itf.scale.offset_s = static_cast<int64_t>(load64(v, swapped));
          }
          o += 4 + ((olen + 3u) & ~3u);
        }
        interfaces.push_back(itf);
        summary.link_types.push_back(itf.link_type);
        ++summary.interfaces;
        break;
      }
      case 6:    // Enhanced Packet Block
      case 2: {  // Packet Block (obsolete)
        if (body_len < 20) return corrupt(off, "packet block too short");
        const uint32_t itf_id = type == 6 ? load32(body, swapped) : load16(body, swapped);
        const uint32_t caplen = load32(body + 12, swapped);
        const uint32_t origlen = load32(body + 16, swapped);
        if (caplen > body_len - 20) {
          return corrupt(
              off, fmt::format("packet block claims {} captured bytes in a {}-byte block", caplen,
                               length));
        }
        if (itf_id >= interfaces.size()) {
          ++summary.unknown_interface;
          break;
        }
        const detail::Interface& itf = interfaces[itf_id];
        const uint64_t ticks =
            (uint64_t{load32(body + 4, swapped)} << 32) | load32(body + 8, swapped);
        pkt.time_ns = itf.scale.to_ns(ticks);
        pkt.link_type = itf.link_type;
        pkt.captured_length = caplen;
        pkt.wire_length = origlen;
        pkt.data = body + 20;
        ++summary.records;
        visit(pkt);
        break;
      }
      case 3: {  // Simple Packet Block: interface 0, no timestamp
        if (body_len < 4) return corrupt(off, "simple packet block too short");
        if (interfaces.empty()) {
          ++summary.unknown_interface;
          break;
        }
        const detail::Interface& itf = interfaces[0];
        const uint32_t origlen = load32(body, swapped);
        uint32_t caplen = std::min<uint32_t>(origlen, body_len - 4);
        if (itf.snap_length != 0) caplen = std::min(caplen, itf.snap_length);
        pkt.time_ns = 0;
        pkt.link_type = itf.link_type;
        pkt.captured_length = caplen;
        pkt.wire_length = origlen;
        pkt.data = body + 4;
        ++summary.records;
        visit(pkt);
        break;
      }
      default:
        ++summary.other_blocks;
        break;
    }
    off += length;
  }
  return summary;
}

}  // namespace iotcensus::capture
