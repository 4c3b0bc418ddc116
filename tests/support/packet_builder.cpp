#include "support/packet_builder.h"

#include <arpa/inet.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace iotcensus::testing {

namespace {
void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put64(Bytes& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v >> 32));
  put32(b, static_cast<uint32_t>(v));
}
// Little- or big-endian writers for file headers.
struct Out {
  bool big;
  Bytes b;
  void u16(uint16_t v) {
    if (big) {
      b.push_back(static_cast<uint8_t>(v >> 8));
      b.push_back(static_cast<uint8_t>(v));
    } else {
      b.push_back(static_cast<uint8_t>(v));
      b.push_back(static_cast<uint8_t>(v >> 8));
    }
  }
  void u32(uint32_t v) {
    if (big) {
      u16(static_cast<uint16_t>(v >> 16));
      u16(static_cast<uint16_t>(v));
    } else {
      u16(static_cast<uint16_t>(v));
      u16(static_cast<uint16_t>(v >> 16));
    }
  }
  void u64(uint64_t v) {
    if (big) {
      u32(static_cast<uint32_t>(v >> 32));
      u32(static_cast<uint32_t>(v));
    } else {
      u32(static_cast<uint32_t>(v));
      u32(static_cast<uint32_t>(v >> 32));
    }
  }
  void raw(const Bytes& d) { b.insert(b.end(), d.begin(), d.end()); }
  void pad4() {
    while (b.size() % 4) b.push_back(0);
  }
};
uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t{p[i]} << 8) | p[i + 1];
  if (n % 2) sum += uint32_t{p[n - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
void save(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}
}  // namespace

Bytes netgear_request() {
  Bytes b(48, 0);
  b[0] = 0x0b;
  return b;
}

Bytes ntp_header(uint8_t li_vn_mode, uint8_t stratum, uint64_t transmit) {
  Bytes b;
  b.push_back(li_vn_mode);
  b.push_back(stratum);
  b.push_back(6);        // poll
  b.push_back(0xec);     // precision -20
  put32(b, 0x00010000);  // root delay 1 s
  put32(b, 0x00008000);  // root dispersion 0.5 s
  put32(b, 0x47505300);  // "GPS"
  put64(b, 0xe0000000'00000000ULL);
  put64(b, 0);
  put64(b, 0);
  put64(b, transmit);
  return b;
}

Bytes ip_udp(const UdpSpec& s) {
  Bytes udp;
  put16(udp, s.src_port);
  put16(udp, s.dst_port);
  put16(udp, static_cast<uint16_t>(8 + s.payload.size()));
  put16(udp, 0);
  udp.insert(udp.end(), s.payload.begin(), s.payload.end());
  Bytes ip;
  uint8_t a[16], d[16];
  if (s.src.find(':') == std::string::npos) {
    inet_pton(AF_INET, s.src.c_str(), a);
    inet_pton(AF_INET, s.dst.c_str(), d);
    const size_t ihl = 20 + s.ipv4_options.size();
    Bytes body = udp;
    if (s.fragment == 2) body.assign(udp.begin() + 8, udp.end());  // a later fragment's bytes
    ip.push_back(static_cast<uint8_t>(0x40 | (ihl / 4)));
    ip.push_back(0);
    put16(ip, static_cast<uint16_t>(ihl + body.size()));
    put16(ip, 0x1234);
    put16(ip, s.fragment == 1 ? 0x2000 : s.fragment == 2 ? 0x0010 : 0x4000);
    ip.push_back(64);
    ip.push_back(17);
    put16(ip, 0);
    ip.insert(ip.end(), a, a + 4);
    ip.insert(ip.end(), d, d + 4);
    ip.insert(ip.end(), s.ipv4_options.begin(), s.ipv4_options.end());
    const uint16_t c = checksum(ip.data(), ip.size());
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
    ip.insert(ip.end(), body.begin(), body.end());
    return ip;
  }
  inet_pton(AF_INET6, s.src.c_str(), a);
  inet_pton(AF_INET6, s.dst.c_str(), d);
  Bytes ext;
  uint8_t first_next = 17;
  std::vector<uint8_t> chain;
  if (s.ipv6_hop_by_hop) chain.push_back(0);
  if (s.ipv6_dest_options) chain.push_back(60);
  if (s.fragment) chain.push_back(44);
  if (!chain.empty()) first_next = chain[0];
  for (size_t i = 0; i < chain.size(); ++i) {
    const uint8_t next = i + 1 < chain.size() ? chain[i + 1] : 17;
    if (chain[i] == 44) {
      ext.push_back(next);
      ext.push_back(0);
      put16(ext, s.fragment == 1 ? 0x0001 : 0x0010);
      put32(ext, 0xabcdef01);
    } else {
      ext.push_back(next);
      ext.push_back(0);                                           // 8 bytes
      for (int k = 0; k < 6; ++k) ext.push_back(k == 0 ? 1 : 0);  // PadN option
      ext[ext.size() - 5] = 4;
    }
  }
  Bytes body = udp;
  if (s.fragment == 2) body.assign(udp.begin() + 8, udp.end());
  ip.push_back(0x60);
  ip.push_back(0);
  put16(ip, 0);
  put16(ip, static_cast<uint16_t>(ext.size() + body.size()));
  ip.push_back(first_next);
  ip.push_back(64);
  ip.insert(ip.end(), a, a + 16);
  ip.insert(ip.end(), d, d + 16);
  ip.insert(ip.end(), ext.begin(), ext.end());
  ip.insert(ip.end(), body.begin(), body.end());
  return ip;
}

uint32_t link_type(Link link) {
  switch (link) {
    case Link::kEthernet:
    case Link::kVlan:
    case Link::kQinQ:
      return 1;
    case Link::kLinuxSll:
      return 113;
    case Link::kLinuxSll2:
      return 276;
    case Link::kRaw:
      return 101;
    case Link::kNull:
      return 0;
    case Link::kLoop:
      return 108;
    case Link::kIpv4:
      return 228;
    case Link::kIpv6:
      return 229;
  }
  return 0;
}

Bytes frame(Link link, const Bytes& ip) {
  const bool v6 = !ip.empty() && (ip[0] >> 4) == 6;
  const uint16_t ethertype = v6 ? 0x86dd : 0x0800;
  Bytes f;
  auto mac = [&] {
    for (int i = 0; i < 12; ++i) f.push_back(static_cast<uint8_t>(0x10 + i));
  };
  switch (link) {
    case Link::kEthernet:
      mac();
      put16(f, ethertype);
      break;
    case Link::kVlan:
      mac();
      put16(f, 0x8100);
      put16(f, 42);
      put16(f, ethertype);
      break;
    case Link::kQinQ:
      mac();
      put16(f, 0x88a8);
      put16(f, 7);
      put16(f, 0x8100);
      put16(f, 42);
      put16(f, ethertype);
      break;
    case Link::kLinuxSll:
      put16(f, 0);
      put16(f, 1);
      put16(f, 6);
      for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(i));
      put16(f, ethertype);
      break;
    case Link::kLinuxSll2:
      put16(f, ethertype);
      put16(f, 0);
      put32(f, 2);
      put16(f, 1);
      f.push_back(0);
      f.push_back(6);
      for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(i));
      break;
    case Link::kNull: {  // host byte order of a little-endian capturing machine
      const uint32_t af = v6 ? 30 : 2;
      f.push_back(static_cast<uint8_t>(af));
      f.push_back(0);
      f.push_back(0);
      f.push_back(0);
      break;
    }
    case Link::kLoop:
      put32(f, v6 ? 24 : 2);
      break;
    case Link::kRaw:
    case Link::kIpv4:
    case Link::kIpv6:
      break;
  }
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

void write_pcap(const std::string& path, const std::vector<Record>& records, PcapOptions opt) {
  Out o{opt.big_endian, {}};
  o.u32(opt.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4);
  o.u16(2);
  o.u16(4);
  o.u32(0);
  o.u32(0);
  o.u32(262144);
  o.u32(opt.link_type);
  for (const auto& r : records) {
    const int64_t s = r.time_ns / 1'000'000'000;
    const int64_t ns = r.time_ns % 1'000'000'000;
    o.u32(static_cast<uint32_t>(s));
    o.u32(static_cast<uint32_t>(opt.nanosecond ? ns : ns / 1000));
    o.u32(static_cast<uint32_t>(r.data.size()));
    o.u32(r.wire_length ? r.wire_length : static_cast<uint32_t>(r.data.size()));
    o.raw(r.data);
  }
  save(path, o.b);
}

void write_pcapng(const std::string& path, const std::vector<PcapngSection>& sections) {
  Bytes file;
  for (const auto& sec : sections) {
    Out o{sec.big_endian, {}};
    auto block = [&](uint32_t type, const Bytes& body) {
      Out h{sec.big_endian, {}};
      const uint32_t len = static_cast<uint32_t>(12 + ((body.size() + 3) & ~size_t{3}));
      h.u32(type);
      h.u32(len);
      h.raw(body);
      h.pad4();
      h.u32(len);
      o.raw(h.b);
    };
    {
      Out b{sec.big_endian, {}};
      b.u32(0x1a2b3c4d);
      b.u16(1);
      b.u16(0);
      b.u64(~uint64_t{0});
      block(0x0a0d0d0a, b.b);
    }
    for (const auto& itf : sec.interfaces) {
      Out b{sec.big_endian, {}};
      b.u16(static_cast<uint16_t>(itf.link_type));
      b.u16(0);
      b.u32(itf.snap_length);
      if (itf.tsresol >= 0) {
        b.u16(9);
        b.u16(1);
        b.b.push_back(static_cast<uint8_t>(itf.tsresol));
        b.pad4();
        b.u16(0);
        b.u16(0);
      }
      block(1, b.b);
    }
    for (const auto& r : sec.records) {
      Out b{sec.big_endian, {}};
      if (sec.simple_packets) {
        b.u32(r.wire_length ? r.wire_length : static_cast<uint32_t>(r.data.size()));
        b.raw(r.data);
        block(3, b.b);
        continue;
      }
      const PcapngInterface& itf = sec.interfaces.at(r.interface);
      uint64_t ticks;
      if (itf.tsresol < 0) {
        ticks = static_cast<uint64_t>(r.time_ns / 1000);
      } else if (itf.tsresol & 0x80) {
        const int e = itf.tsresol & 0x7f;
        const uint64_t s = static_cast<uint64_t>(r.time_ns / 1'000'000'000);
        const uint64_t frac = static_cast<uint64_t>(r.time_ns % 1'000'000'000);
        ticks = (s << e) + ((frac << e) / 1'000'000'000);
      } else {
        uint64_t div = 1;
        for (int i = itf.tsresol; i < 9; ++i) div *= 10;
        ticks = static_cast<uint64_t>(r.time_ns) / div;
      }
      b.u32(r.interface);
      b.u32(static_cast<uint32_t>(ticks >> 32));
      b.u32(static_cast<uint32_t>(ticks));
      b.u32(static_cast<uint32_t>(r.data.size()));
      b.u32(r.wire_length ? r.wire_length : static_cast<uint32_t>(r.data.size()));
      b.raw(r.data);
      block(6, b.b);
    }
    file.insert(file.end(), o.b.begin(), o.b.end());
  }
  save(path, file);
}

}  // namespace iotcensus::testing
