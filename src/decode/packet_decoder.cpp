#include "decode/packet_decoder.h"

#include "decode/ip.h"
#include "decode/link.h"
#include "decode/ntp.h"

namespace iotcensus::decode {

bool PacketDecoder::decode_general(const capture::RawPacket& frame, core::Observation& obs) {
  ++counters_.frames;
  obs = core::Observation{};
  obs.time_ns = frame.time_ns;
  obs.wire_length = frame.wire_length;
  LinkResult link = decode_link(frame.link_type, Bytes{frame.data, frame.captured_length});
  if (!link.ok) return skip(link.reason);
  TransportResult transport = decode_ip(link.ip, obs);
  if (!transport.ok) return skip(transport.reason);
  UdpResult udp = decode_udp(transport, obs);
  if (!udp.ok) return skip(udp.reason);
  if (obs.src_port != kNtpPort && obs.dst_port != kNtpPort) return skip(SkipReason::kNotNtpPort);
  obs.ntp_length = static_cast<uint16_t>(udp.payload.size);
  obs.payload = udp.payload.data;
  const NtpStatus status = decode_ntp(udp.payload, obs.ntp);
  if (status == NtpStatus::kTruncated) return skip(SkipReason::kNtpTruncated);
  if (status == NtpStatus::kTrailerInconsistent && !udp.snapped) {
    ++counters_.anomalies[static_cast<size_t>(Anomaly::kTrailerInconsistent)];
  }
  if (udp.snapped) ++counters_.anomalies[static_cast<size_t>(Anomaly::kNtpSnapped)];
  ++counters_.ntp;
  return true;
}

}  // namespace iotcensus::decode
