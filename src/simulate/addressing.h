// Source addresses of simulated devices. Devices hold an address slot (NAT'd devices share one);
// a slot is a public IPv4 host that DHCP may move inside its /24 (never onto another slot's host),
// or an IPv6 /64.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/address.h"

namespace iotcensus::simulate {

struct AddressSlot {
  int32_t first_day = 0;  // day index (days since epoch) the slot comes into use
  float dhcp_rate = 0;    // re-addressings per day (0: static)
  bool v6 = false;
  bool temporary = false;  // IPv6: a new interface id every day
};

// Address history of one slot as (day index from which it holds, address) pairs.
struct AddressChange {
  int32_t day = 0;
  core::Address address;
};

// Addresses of all slots; answers "address of slot s on day d" for non-decreasing days per slot
// in O(1) amortised (a cursor per slot), and whole histories for the truth.
class AddressBook {
 public:
  AddressBook(uint64_t seed, std::vector<AddressSlot> slots, core::Address server);

  core::Address address_on(uint32_t slot, int32_t day);
  // Every address the slot holds on days [from_day, to_day); temporary IPv6 slots give their /64.
  std::vector<AddressChange> history(uint32_t slot, int32_t from_day, int32_t to_day) const;
  const AddressSlot& slot(uint32_t s) const { return slots_[s]; }
  size_t size() const { return slots_.size(); }

 private:
  struct Cursor {
    int32_t next_change = 0;  // day of the next re-addressing
    uint32_t changes = 0;     // re-addressings so far
    uint8_t host = 0;
  };
  uint32_t slash24(uint32_t slot) const;  // host-order /24 network, as a 24-bit prefix
  // The host a slot holds after `changes` re-addressings, `held` being the one before.
  uint8_t host_after(uint32_t slot, uint32_t changes, uint8_t held) const;
  int32_t gap_days(uint32_t slot, uint32_t changes) const;
  core::Address v6_address(uint32_t slot, int32_t day) const;

  uint64_t seed_;
  uint32_t server_slash24_;
  std::vector<AddressSlot> slots_;
  std::vector<Cursor> cursors_;
};

}  // namespace iotcensus::simulate
