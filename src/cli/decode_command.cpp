// `iotcensus decode FILE`: every NTP message of a capture, one tab-separated line of decoded
// fields each (frame number first), for inspection and for the field-by-field check with tshark.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "capture/capture_file.h"
#include "cli/commands.h"
#include "decode/packet_decoder.h"

namespace iotcensus::cli {

namespace {

int run_decode(const std::string& path) {
  auto file = capture::CaptureFile::open(path);
  if (!file) {
    std::cerr << "iotcensus decode: " << file.error().message << "\n";
    return 1;
  }
  std::cout << "frame\ttime_ns\tsrc\tdst\tsrc_port\tdst_port\tip_version\tntp_length\tleap\t"
               "version\tmode\tstratum\tpoll\tprecision\troot_delay\troot_dispersion\t"
               "reference_id\treference_ts\torigin_ts\treceive_ts\ttransmit_ts\t"
               "extension_fields\tmac_length\tkey_id\tcontrol_opcode\tprivate_request\n";
  decode::PacketDecoder decoder;
  core::Observation obs;
  uint64_t frame = 0;
  std::string line;
  auto summary = file->for_each([&](const capture::RawPacket& raw) {
    ++frame;
    if (!decoder.decode(raw, obs)) return;
    const auto& n = obs.ntp;
    line = fmt::format(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:08x}\t{:08x}\t{:08x}\t{:016x}\t"
        "{:016x}\t{:016x}\t{:016x}\t{}\t{}\t{}\t{}\t{}\n",
        frame, obs.time_ns, obs.src.to_string(), obs.dst.to_string(), obs.src_port, obs.dst_port,
        obs.ip_version, obs.ntp_length, n.leap, n.version, n.mode, n.stratum, n.poll, n.precision,
        n.root_delay, n.root_dispersion, n.reference_id, n.reference_ts, n.origin_ts, n.receive_ts,
        n.transmit_ts, n.extension_fields, n.mac_length, n.key_id, n.control_opcode,
        n.private_request);
    std::cout << line;
  });
  if (!summary) {
    std::cerr << "iotcensus decode: " << summary.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

Command add_decode_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("decode", "Print every NTP message of a capture as TSV fields");
  sub->add_option("file", *path, "Capture file")->required();
  return {sub, [path] { return run_decode(*path); }};
}

}  // namespace iotcensus::cli
