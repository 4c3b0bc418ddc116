// Slot addresses: slot numbers map bijectively to public /24s (8 slots each, cycle-walking past
// private and reserved space). Slot j of a /24 only ever holds hosts congruent to j modulo 8, so
// DHCP moves inside the /24 never give two slots one address.

#include "simulate/addressing.h"

#include <algorithm>
#include <cmath>

#include "core/address.h"
#include "simulate/rng.h"

namespace iotcensus::simulate {

namespace {

constexpr uint32_t kHostsPerSlash24 = 8;  // slots per /24: slot j holds hosts 8 m + j, m 1..30
constexpr uint32_t kHostChoices = 30;
constexpr uint32_t kMask24 = 0xffffff;

bool public_slash24(uint32_t p, uint32_t server) {
  return p != server && !core::is_special_purpose_slash24(p);
}

// A bijection on 24-bit values (odd multiplier, xorshift, odd multiplier).
uint32_t permute24(uint32_t x) {
  x = (x * 0x9e3779u + 0x5bd1e9u) & kMask24;
  x ^= x >> 12;
  x = (x * 0x2c1b3du) & kMask24;
  x ^= x >> 11;
  return x;
}

}  // namespace

AddressBook::AddressBook(uint64_t seed, std::vector<AddressSlot> slots, core::Address server)
    : seed_(seed), server_slash24_(server.v4() >> 8), slots_(std::move(slots)) {
  cursors_.resize(slots_.size());
  for (uint32_t s = 0; s < slots_.size(); ++s) {
    cursors_[s].host = host_after(s, 0, 0);
    const int32_t gap = gap_days(s, 0);
    cursors_[s].next_change = gap == INT32_MAX ? INT32_MAX : slots_[s].first_day + gap;
  }
}

uint32_t AddressBook::slash24(uint32_t slot) const {
  uint32_t p = permute24((slot / kHostsPerSlash24) & kMask24);
  while (!public_slash24(p, server_slash24_)) p = permute24(p);  // cycle-walk: stays a bijection
  return p;
}

uint8_t AddressBook::host_after(uint32_t slot, uint32_t changes, uint8_t held) const {
  const uint32_t j = slot % kHostsPerSlash24;
  if (changes == 0) return static_cast<uint8_t>(kHostsPerSlash24 + j);
  // A new host of the slot's own residue class, never the one it holds.
  const uint32_t prev = held / kHostsPerSlash24 - 1;
  const uint32_t step = 1 + mix64(stream_key(seed_, 0xadd7, slot, changes)) % (kHostChoices - 1);
  return static_cast<uint8_t>(kHostsPerSlash24 * (1 + (prev + step) % kHostChoices) + j);
}

int32_t AddressBook::gap_days(uint32_t slot, uint32_t changes) const {
  const double rate = slots_[slot].dhcp_rate;
  if (rate <= 0 || slots_[slot].v6) return INT32_MAX;
  const double u =
      (static_cast<double>(mix64(stream_key(seed_, 0xd4c9, slot, changes)) >> 11) + 1) * 0x1.0p-53;
  const double days = std::ceil(-std::log(u) / rate);
  return static_cast<int32_t>(std::min(days, 1e9));
}

core::Address AddressBook::v6_address(uint32_t slot, int32_t day) const {
  // 2a0X:XXXX:XXXX:XXXX::/64 from the slot (a bijection on 44 bits), then an interface id.
  const uint64_t k =
      (static_cast<uint64_t>(slot) * 0x5851f42d4c957ULL + 0x14057b7ef767ULL) & ((1ULL << 44) - 1);
  const uint64_t hi = (0x2a0ULL << 52) | (k << 8);
  const uint64_t iid = slots_[slot].temporary
                           ? mix64(stream_key(seed_, 0x7e3b, slot, static_cast<uint64_t>(day)))
                           : mix64(stream_key(seed_, 0x57ab, slot));
  return core::Address{hi, iid | 1};
}

core::Address AddressBook::address_on(uint32_t slot, int32_t day) {
  if (slots_[slot].v6) return v6_address(slot, day);
  Cursor& c = cursors_[slot];
  while (day >= c.next_change) {
    ++c.changes;
    c.host = host_after(slot, c.changes, c.host);
    const int32_t gap = gap_days(slot, c.changes);
    c.next_change = gap == INT32_MAX ? INT32_MAX : c.next_change + gap;
  }
  return core::Address::from_v4((slash24(slot) << 8) | c.host);
}

std::vector<AddressChange> AddressBook::history(uint32_t slot, int32_t from_day,
                                                int32_t to_day) const {
  std::vector<AddressChange> out;
  if (slots_[slot].v6) {
    core::Address a = v6_address(slot, from_day);
    if (slots_[slot].temporary) a = a.prefix(64);
    out.push_back({from_day, a});
    return out;
  }
  const uint32_t net = slash24(slot) << 8;
  const int32_t gap0 = gap_days(slot, 0);
  int32_t next = gap0 == INT32_MAX ? INT32_MAX : slots_[slot].first_day + gap0;
  uint32_t changes = 0;
  uint8_t host = host_after(slot, 0, 0);
  while (next <= from_day) {
    ++changes;
    host = host_after(slot, changes, host);
    const int32_t gap = gap_days(slot, changes);
    next = gap == INT32_MAX ? INT32_MAX : next + gap;
  }
  out.push_back({from_day, core::Address::from_v4(net | host)});
  while (next < to_day) {
    ++changes;
    host = host_after(slot, changes, host);
    out.push_back({next, core::Address::from_v4(net | host)});
    const int32_t gap = gap_days(slot, changes);
    next = gap == INT32_MAX ? INT32_MAX : next + gap;
  }
  return out;
}

}  // namespace iotcensus::simulate
