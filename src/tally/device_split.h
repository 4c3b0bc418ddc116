// How many devices sent the requests one address sent in one bin: the requests, as trains (runs
// on one source port), are split into strictly periodic senders (devices behind a NAT).
#pragma once

#include <cstdint>
#include <vector>

namespace iotcensus::tally {

// Consecutive requests of one address on one source port: `packets` requests from `first_ns`
// to `last_ns`, evenly spaced when packets > 1.
struct Train {
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  uint64_t packets = 0;
};

struct DeviceSplit {
  uint32_t low = 1;         // fewest devices consistent with the trains (most senders at once)
  uint32_t devices = 1;     // periodic senders found, plus requests that fit none of them
  uint32_t high = 1;        // most devices: `devices` plus sequences too short to be sure of
  int64_t interval_ns = 0;  // period of the sender with the most requests (0: unknown)
  int64_t anchor_ns = 0;    // time of that sender's last request (its phase)
};

struct SplitOptions {
  // A request fits a sender with period T and reference time r when it lies within
  // jitter_ns + drift * |t - r| of r + k T; two periods are equal within the same tolerance.
  int64_t jitter_ns = 1'000'000;
  double drift = 1e-5;
  // Periods shorter than this are not looked for among single requests.
  int64_t min_interval_ns = 100'000'000;
};

// `trains` may be in any order and is sorted in place. The model: each device sends strictly
// periodically (one period and phase per device within the bin) and a NAT may put its requests
// on several ports; requests of one port and train come from one device.
DeviceSplit split_devices(std::vector<Train>& trains, const SplitOptions& options = {});

}  // namespace iotcensus::tally
