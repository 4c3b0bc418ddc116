// Checks the decoders against tshark, field by field: every NTP frame tshark dissects in every
// capture under shared/data/pcap, every header field of it, and the set of NTP frames per capture.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "capture/capture_file.h"
#include "core/address.h"
#include "core/observation.h"
#include "decode/bytes.h"
#include "decode/ntp.h"
#include "decode/packet_decoder.h"
#include "support/test_support.h"

namespace iotcensus::decode {
namespace {

using testing::files_under;
using testing::lines;
using testing::quote;
using testing::run;
using testing::shared_data;
using testing::split;
using testing::TempDir;

// The frames tshark calls NTP. ICMP errors quote the datagram that caused them; tshark dissects
// the quoted NTP header too, but that copy is not a message on the wire (decode/ skips ICMP).
constexpr const char* kNtpFilter = "ntp && !icmp && !icmpv6";

// tshark reassembles IP fragments by default and then shows the datagram in the frame of its
// LAST fragment; decode/ reads the first fragment in place (it carries the NTP header) and skips
// the others. Reassembly is switched off so that both look at the same frame. (No capture in the
// data set has a fragmented NTP datagram today; this keeps the check frame for frame if one comes.)
constexpr const char* kTsharkOptions = "-n -o ip.defragment:FALSE -o ipv6.defragment:FALSE";

// ---------------------------------------------------------------------------------------------
// tshark, run once per capture (several at a time: its start-up dominates).

struct TsharkRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `tshark <options> -r FILE <args>` for every file, `jobs` at a time.
std::vector<TsharkRun> tshark_each(const std::vector<std::string>& files, const std::string& args,
                                   int jobs = 4) {
  TempDir tmp;
  {
    std::ofstream list(tmp.file("list"), std::ios::binary);
    for (size_t i = 0; i < files.size(); ++i) {
      list << tmp.file(std::to_string(i)) << '\0' << files[i] << '\0';
    }
  }
  const std::string script = std::string("tshark ") + kTsharkOptions + " -r \"$1\" " + args +
                             " >\"$0.out\" 2>\"$0.err\"; echo $? >\"$0.rc\"";
  const auto r = run("xargs -0 -n 2 -P " + std::to_string(jobs) + " sh -c " + quote(script) +
                     " < " + quote(tmp.file("list")));
  EXPECT_EQ(r.exit_code, 0) << "xargs: " << r.err;
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  std::vector<TsharkRun> out(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string base = tmp.file(std::to_string(i));
    out[i].out = slurp(base + ".out");
    out[i].err = slurp(base + ".err");
    const std::string rc = slurp(base + ".rc");
    out[i].exit_code = rc.empty() ? -1 : std::atoi(rc.c_str());
  }
  return out;
}

// The NTP frames of one capture according to `frame.protocols` (the protocol stack of each
// frame): "ntp" on the stack and no ICMP under it. tshark also numbers pcapng custom blocks as
// frames (they carry `frame.cb_pen`); they are not packets, and the capture reader does not hand
// them on, so tshark's frame numbers are mapped to packet numbers (1 = first packet record).
inline constexpr const char* kDiscoveryFields =
    "-T fields -e frame.number -e frame.cb_pen -e frame.protocols";

struct TsharkFrames {
  uint64_t packets = 0;                 // packet records tshark read
  std::map<uint64_t, uint64_t> packet;  // tshark frame number -> packet number
  std::set<uint64_t> ntp;               // packet numbers
};

TsharkFrames parse_protocols(const std::string& out) {
  TsharkFrames t;
  for (const auto& line : lines(out)) {
    const auto cols = split(line, '\t');
    if (cols.size() < 3 || cols[0].empty()) continue;
    if (!cols[1].empty()) continue;  // a custom block
    const uint64_t number = ++t.packets;
    t.packet[std::stoull(cols[0])] = number;
    bool ntp = false;
    bool icmp = false;
    for (const auto& p : split(cols[2], ':')) {
      if (p == "ntp") ntp = true;
      if (p == "icmp" || p == "icmpv6") icmp = true;
    }
    if (ntp && !icmp) t.ntp.insert(number);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// PDML: tshark's dissection tree as XML, one element per line. Each field carries `show` (the
// value as text) and `value` (the raw bytes in hex), which is what the comparison uses for
// timestamps and fixed-point fields instead of re-parsing dates.

struct PdmlField {
  std::string name;
  std::string show;
  std::string value;
  int size = 0;
  int pos = 0;
};

struct PdmlPacket {
  uint64_t frame = 0;               // tshark's frame number (named in failures)
  uint64_t packet = 0;              // packet number in the file (the key into the decoder's frames)
  std::vector<std::string> protos;  // in tree order, e.g. geninfo frame eth ip udp ntp
  std::map<std::string, int> proto_size;
  std::vector<PdmlField> fields;

  const PdmlField* first(const std::string& name) const {
    for (const auto& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  std::vector<const PdmlField*> all(const std::string& name) const {
    std::vector<const PdmlField*> out;
    for (const auto& f : fields) {
      if (f.name == name) out.push_back(&f);
    }
    return out;
  }
  int count_proto(const std::string& name) const {
    int n = 0;
    for (const auto& p : protos) n += p == name;
    return n;
  }
};

std::string xml_unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi == std::string::npos) {
      out += s[i];
      continue;
    }
    const std::string ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out += '&';
    else if (ent == "lt")
      out += '<';
    else if (ent == "gt")
      out += '>';
    else if (ent == "quot")
      out += '"';
    else if (ent == "apos")
      out += '\'';
    else if (!ent.empty() && ent[0] == '#') {
      const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      out += static_cast<char>(std::strtoul(ent.c_str() + (hex ? 2 : 1), nullptr, hex ? 16 : 10));
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

std::optional<std::string> attribute(const std::string& line, const std::string& key) {
  const std::string needle = " " + key + "=\"";
  const size_t at = line.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const size_t start = at + needle.size();
  const size_t end = line.find('"', start);
  if (end == std::string::npos) return std::nullopt;
  return xml_unescape(line.substr(start, end - start));
}

std::vector<PdmlPacket> parse_pdml(const std::string& xml) {
  std::vector<PdmlPacket> packets;
  PdmlPacket cur;
  bool in_packet = false;
  for (const auto& raw : lines(xml)) {
    const size_t lead = raw.find_first_not_of(" \t");
    if (lead == std::string::npos) continue;
    const std::string line = raw.substr(lead);
    if (line.rfind("<packet>", 0) == 0) {
      cur = PdmlPacket{};
      in_packet = true;
    } else if (line.rfind("</packet>", 0) == 0) {
      if (in_packet) packets.push_back(cur);
      in_packet = false;
    } else if (in_packet && line.rfind("<proto ", 0) == 0) {
      const auto name = attribute(line, "name");
      if (!name) continue;
      cur.protos.push_back(*name);
      if (auto size = attribute(line, "size"); size && !cur.proto_size.count(*name)) {
        cur.proto_size[*name] = std::atoi(size->c_str());
      }
    } else if (in_packet && line.rfind("<field ", 0) == 0) {
      PdmlField f;
      const auto name = attribute(line, "name");
      if (!name) continue;
      f.name = *name;
      f.show = attribute(line, "show").value_or("");
      f.value = attribute(line, "value").value_or("");
      f.size = std::atoi(attribute(line, "size").value_or("0").c_str());
      f.pos = std::atoi(attribute(line, "pos").value_or("0").c_str());
      if (f.name == "frame.number") cur.frame = std::stoull(f.show);
      cur.fields.push_back(std::move(f));
    }
  }
  return packets;
}

// ---------------------------------------------------------------------------------------------
// Our view: every frame of the capture through CaptureFile and PacketDecoder, keyed by packet
// number (1 = first packet record of the file).

struct Decoded {
  core::Observation obs;
  NtpStatus status = NtpStatus::kOk;  // decode_ntp on the payload again, for the trailer
  size_t trailer = 0;                 // bytes after the 48-byte header (modes 0-5)
};

struct OurFrames {
  bool opened = false;
  bool read_all = false;  // for_each returned a summary (not kCorruptCapture)
  std::string error;
  uint64_t frames = 0;
  std::map<uint64_t, Decoded> ntp;
};

OurFrames decode_capture(const std::string& path) {
  OurFrames out;
  auto file = capture::CaptureFile::open(path);
  if (!file) {
    out.error = file.error().message;
    return out;
  }
  out.opened = true;
  PacketDecoder decoder;
  core::Observation obs;
  auto summary = file->for_each([&](const capture::RawPacket& raw) {
    ++out.frames;
    if (!decoder.decode(raw, obs)) return;
    Decoded d;
    d.obs = obs;
    core::NtpHeader again;
    d.status = decode_ntp(Bytes{obs.payload, obs.ntp_length}, again);
    d.trailer = obs.ntp_length > kNtpHeaderLength ? obs.ntp_length - kNtpHeaderLength : 0;
    d.obs.payload = nullptr;  // the mapping goes away with `file`
    out.ntp.emplace(out.frames, d);
  });
  out.read_all = static_cast<bool>(summary);
  if (!summary) out.error = summary.error().message;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison helpers: every mismatch is one failure naming file, frame and field.

class FrameCheck {
 public:
  FrameCheck(std::string file, uint64_t frame) : file_(std::move(file)), frame_(frame) {}

  template <class A, class B>
  void equal(const std::string& field, const A& tshark, const B& ours) {
    if (!(tshark == ours)) {
      ADD_FAILURE() << file_ << " frame " << frame_ << " field " << field << ": tshark " << tshark
                    << ", decoder " << ours;
    }
  }
  void fail(const std::string& what) {
    ADD_FAILURE() << file_ << " frame " << frame_ << ": " << what;
  }

  // A field tshark must have shown; nullptr (and a failure) when it did not.
  const PdmlField* need(const PdmlPacket& p, const std::string& name) {
    const PdmlField* f = p.first(name);
    if (f == nullptr) fail("tshark shows no " + name);
    return f;
  }

 private:
  std::string file_;
  uint64_t frame_;
};

uint64_t hex_value(const PdmlField& f) {
  return std::strtoull(f.value.c_str(), nullptr, 16);
}
uint64_t show_value(const PdmlField& f) {
  return std::strtoull(f.show.c_str(), nullptr, 0);
}

// "1558603188.282844000" -> nanoseconds since the epoch.
int64_t epoch_ns(const std::string& text) {
  const size_t dot = text.find('.');
  const int64_t sec = std::stoll(text.substr(0, dot));
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  frac = (frac + "000000000").substr(0, 9);
  return sec * 1'000'000'000 + std::stoll(frac);
}

std::string address_text(const core::Address& a) {
  return a.to_string();
}

// tshark's address text, re-spelled the way core::Address prints it (or marked unparsable).
std::string parsed(const std::string& text) {
  const auto a = core::Address::parse(text);
  return a ? a->to_string() : "unparsable '" + text + "'";
}

// Does tshark's reading of the bytes after the header form a valid RFC 7822 / RFC 5905 trailer
// (extension fields of >= 16 bytes, 4-aligned, then nothing or a 4/20/24-byte MAC)?
bool tshark_trailer_valid(const std::vector<const PdmlField*>& exts, int mac_total,
                          size_t trailer) {
  size_t sum = 0;
  for (const auto* e : exts) {
    if (e->size < 16 || e->size % 4 != 0) return false;
    sum += static_cast<size_t>(e->size);
  }
  if (mac_total != 0 && mac_total != 4 && mac_total != 20 && mac_total != 24) return false;
  return sum + static_cast<size_t>(mac_total) == trailer;
}

void compare_frame(const std::string& file, const PdmlPacket& p, const Decoded& d) {
  FrameCheck c(file, p.frame);
  const core::Observation& o = d.obs;
  const core::NtpHeader& n = o.ntp;

  // Frame.
  if (const auto* f = c.need(p, "frame.time_epoch"))
    c.equal("frame.time_epoch", epoch_ns(f->show), o.time_ns);
  if (const auto* f = c.need(p, "frame.len"))
    c.equal("frame.len", show_value(*f), uint64_t{o.wire_length});

  // Network layer: exactly one IP header (no tunnels in the oracle's view).
  const int v4 = p.count_proto("ip");
  const int v6 = p.count_proto("ipv6");
  c.equal("ip headers", v4 + v6, 1);
  if (v4 == 1 && v6 == 0) {
    c.equal("ip.version", 4, int{o.ip_version});
    if (const auto* f = c.need(p, "ip.src"))
      c.equal("ip.src", parsed(f->show), address_text(o.src));
    if (const auto* f = c.need(p, "ip.dst"))
      c.equal("ip.dst", parsed(f->show), address_text(o.dst));
    if (const auto* f = c.need(p, "ip.ttl")) c.equal("ip.ttl", show_value(*f), uint64_t{o.ttl});
    if (const auto* f = c.need(p, "ip.len"))
      c.equal("ip.len", show_value(*f), uint64_t{o.ip_length});
  } else if (v6 == 1 && v4 == 0) {
    c.equal("ip.version", 6, int{o.ip_version});
    // tshark prints RFC 5952 text; compare the parsed addresses, not spellings.
    if (const auto* f = c.need(p, "ipv6.src"))
      c.equal("ipv6.src", parsed(f->show), address_text(o.src));
    if (const auto* f = c.need(p, "ipv6.dst"))
      c.equal("ipv6.dst", parsed(f->show), address_text(o.dst));
    if (const auto* f = c.need(p, "ipv6.hlim"))
      c.equal("ipv6.hlim", show_value(*f), uint64_t{o.ttl});
    if (const auto* f = c.need(p, "ipv6.plen"))
      c.equal("ipv6.plen + 40", show_value(*f) + 40, uint64_t{o.ip_length});
  }

  // UDP.
  c.equal("udp headers", p.count_proto("udp"), 1);
  if (const auto* f = c.need(p, "udp.srcport"))
    c.equal("udp.srcport", show_value(*f), uint64_t{o.src_port});
  if (const auto* f = c.need(p, "udp.dstport"))
    c.equal("udp.dstport", show_value(*f), uint64_t{o.dst_port});
  if (const auto* f = c.need(p, "udp.length"))
    c.equal("udp.length", show_value(*f), uint64_t{o.udp_length});

  // NTP: the bytes tshark handed to its NTP dissector are the bytes we decoded.
  c.equal("ntp protocols", p.count_proto("ntp"), 1);
  const auto size = p.proto_size.find("ntp");
  if (size == p.proto_size.end()) {
    c.fail("tshark shows no ntp protocol");
    return;
  }
  c.equal("ntp length", size->second, int{o.ntp_length});

  if (const auto* f = c.need(p, "ntp.flags.vn"))
    c.equal("ntp.flags.vn", show_value(*f), uint64_t{n.version});
  if (const auto* f = c.need(p, "ntp.flags.mode"))
    c.equal("ntp.flags.mode", show_value(*f), uint64_t{n.mode});

  if (n.mode == 7) {
    // Mode 7's first byte is R M VN Mode: tshark shows R and M where other modes have LI; the
    // decoder keeps the top two bits in `leap` and R also in `control_response`.
    if (const auto* f = c.need(p, "ntp.priv.flags.r")) {
      c.equal("ntp.priv.flags.r", show_value(*f), uint64_t{n.control_response});
      c.equal("ntp.priv.flags.r (leap bit 1)", show_value(*f), static_cast<uint64_t>(n.leap >> 1));
    }
    if (const auto* f = c.need(p, "ntp.priv.flags.more")) {
      c.equal("ntp.priv.flags.more (leap bit 0)", show_value(*f),
              static_cast<uint64_t>(n.leap & 1));
    }
    if (const auto* f = c.need(p, "ntp.priv.impl"))
      c.equal("ntp.priv.impl", hex_value(*f), uint64_t{n.private_implementation});
    if (const auto* f = c.need(p, "ntp.priv.reqcode"))
      c.equal("ntp.priv.reqcode", hex_value(*f), uint64_t{n.private_request});
    return;
  }

  if (const auto* f = c.need(p, "ntp.flags.li"))
    c.equal("ntp.flags.li", show_value(*f), uint64_t{n.leap});

  if (n.mode == 6) {
    if (const auto* f = c.need(p, "ntp.ctrl.flags2.r"))
      c.equal("ntp.ctrl.flags2.r", show_value(*f), uint64_t{n.control_response});
    if (const auto* f = c.need(p, "ntp.ctrl.flags2.opcode"))
      c.equal("ntp.ctrl.flags2.opcode", show_value(*f), uint64_t{n.control_opcode});
    return;
  }

  // Modes 0-5: the RFC 5905 header. Raw bytes from PDML `value`; poll and precision are signed
  // log2 seconds (tshark's `show` prints them as unsigned bytes).
  if (const auto* f = c.need(p, "ntp.stratum"))
    c.equal("ntp.stratum", hex_value(*f), uint64_t{n.stratum});
  if (const auto* f = c.need(p, "ntp.ppoll"))
    c.equal("ntp.ppoll", int{static_cast<int8_t>(hex_value(*f))}, int{n.poll});
  if (const auto* f = c.need(p, "ntp.precision"))
    c.equal("ntp.precision", int{static_cast<int8_t>(hex_value(*f))}, int{n.precision});
  if (const auto* f = c.need(p, "ntp.rootdelay"))
    c.equal("ntp.rootdelay", hex_value(*f), uint64_t{n.root_delay});
  if (const auto* f = c.need(p, "ntp.rootdispersion"))
    c.equal("ntp.rootdispersion", hex_value(*f), uint64_t{n.root_dispersion});
  if (const auto* f = c.need(p, "ntp.refid"))
    c.equal("ntp.refid", hex_value(*f), uint64_t{n.reference_id});
  if (const auto* f = c.need(p, "ntp.reftime"))
    c.equal("ntp.reftime", hex_value(*f), n.reference_ts);
  if (const auto* f = c.need(p, "ntp.org")) c.equal("ntp.org", hex_value(*f), n.origin_ts);
  if (const auto* f = c.need(p, "ntp.rec")) c.equal("ntp.rec", hex_value(*f), n.receive_ts);
  if (const auto* f = c.need(p, "ntp.xmt")) c.equal("ntp.xmt", hex_value(*f), n.transmit_ts);

  // What follows the header. tshark reads more than 24 bytes as extension fields and the rest as
  // key id + MAC, whatever their lengths; the decoder accepts only RFC 7822 extension fields and
  // a 4/20/24-byte MAC, and counts anything else as an anomaly (kTrailerInconsistent) with
  // neither extensions nor MAC decoded.
  const auto exts = p.all("ntp.ext");
  const PdmlField* keyid = p.first("ntp.keyid");
  const PdmlField* mac = p.first("ntp.mac");
  const int mac_total = keyid ? 4 + (mac ? mac->size : 0) : 0;
  if (d.status == NtpStatus::kOk) {
    size_t ext_bytes = 0;
    for (const auto* e : exts) ext_bytes += static_cast<size_t>(e->size);
    c.equal("ntp.ext count", exts.size(), size_t{n.extension_fields});
    c.equal("ntp.ext bytes", ext_bytes, size_t{n.extension_bytes});
    c.equal("ntp.keyid + ntp.mac bytes", mac_total, int{n.mac_length});
    if (keyid != nullptr && n.mac_length != 0)
      c.equal("ntp.keyid", hex_value(*keyid), uint64_t{n.key_id});
  }  // else: compare_inconsistent_trailer
}

// When the decoder calls a trailer inconsistent, tshark's reading of it must not be a valid one.
void compare_inconsistent_trailer(const std::string& file, const PdmlPacket& p, const Decoded& d) {
  FrameCheck c(file, p.frame);
  c.equal("extension_fields of an inconsistent trailer", 0, int{d.obs.ntp.extension_fields});
  c.equal("mac_length of an inconsistent trailer", 0, int{d.obs.ntp.mac_length});
  const auto exts = p.all("ntp.ext");
  const PdmlField* keyid = p.first("ntp.keyid");
  const PdmlField* mac = p.first("ntp.mac");
  const int mac_total = keyid ? 4 + (mac ? mac->size : 0) : 0;
  if (tshark_trailer_valid(exts, mac_total, d.trailer)) {
    c.fail("decoder calls the " + std::to_string(d.trailer) +
           "-byte trailer inconsistent, but tshark reads it as " + std::to_string(exts.size()) +
           " extension field(s) and a " + std::to_string(mac_total) + "-byte MAC");
  }
}

// ---------------------------------------------------------------------------------------------

struct Capture {
  std::string path;
  TsharkFrames tshark;
  bool tshark_clean = false;  // tshark read the whole file without an error
  std::string tshark_error;
};

class TsharkFieldsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(testing::has_tool("tshark")) << "tshark is the oracle of this test";
    const auto files = files_under(shared_data() + "/pcap");
    ASSERT_GT(files.size(), 100u) << "shared data missing under " << shared_data();
    const auto runs = tshark_each(files, kDiscoveryFields);
    captures_ = new std::vector<Capture>;
    for (size_t i = 0; i < files.size(); ++i) {
      Capture c;
      c.path = files[i];
      c.tshark = parse_protocols(runs[i].out);
      c.tshark_clean = runs[i].exit_code == 0;
      c.tshark_error = runs[i].err;
      captures_->push_back(std::move(c));
    }
  }
  static void TearDownTestSuite() {
    delete captures_;
    captures_ = nullptr;
  }
  static std::vector<Capture>* captures_;
};

std::vector<Capture>* TsharkFieldsTest::captures_ = nullptr;

std::string rel(const std::string& path) {
  const std::string root = shared_data() + "/";
  return path.rfind(root, 0) == 0 ? path.substr(root.size()) : path;
}

std::string frame_list(const std::set<uint64_t>& s) {
  std::string out;
  size_t n = 0;
  for (uint64_t f : s) {
    if (n++ == 20) return out + " ...(" + std::to_string(s.size()) + " in all)";
    out += (out.empty() ? "" : ",") + std::to_string(f);
  }
  return out.empty() ? "none" : out;
}

// Captures with NTP are found by running tshark over everything, not from a list: the NTP
// captures themselves, and other folders' captures that happen to carry NTP.
TEST_F(TsharkFieldsTest, TsharkFindsNtpInTheNtpFolderAndElsewhere) {
  size_t with_ntp = 0;
  size_t ntp_folder = 0;
  size_t elsewhere = 0;
  for (const auto& c : *captures_) {
    if (c.tshark.ntp.empty()) continue;
    ++with_ntp;
    if (rel(c.path).rfind("pcap/ntp/", 0) == 0)
      ++ntp_folder;
    else
      ++elsewhere;
  }
  size_t files_in_ntp_folder = 0;
  for (const auto& c : *captures_) files_in_ntp_folder += rel(c.path).rfind("pcap/ntp/", 0) == 0;
  EXPECT_EQ(ntp_folder, files_in_ntp_folder) << "every capture in pcap/ntp carries NTP";
  EXPECT_GE(elsewhere, 1u) << "e.g. pcap/mixed/ndpi_android.pcap";
  EXPECT_EQ(with_ntp, ntp_folder + elsewhere);
}

// Per capture, the frames tshark calls NTP are exactly the frames the decoder yields. For a file
// tshark cannot read to its end, only the frames it did read are compared.
TEST_F(TsharkFieldsTest, SameNtpFramesPerCapture) {
  size_t compared = 0;
  for (const auto& c : *captures_) {
    const OurFrames ours = decode_capture(c.path);
    std::set<uint64_t> our_set;
    for (const auto& [frame, d] : ours.ntp) {
      if (c.tshark_clean || frame <= c.tshark.packets) our_set.insert(frame);
    }
    if (c.tshark.ntp.empty() && our_set.empty()) continue;
    ++compared;
    std::set<uint64_t> only_tshark;
    std::set<uint64_t> only_ours;
    for (uint64_t f : c.tshark.ntp) {
      if (!our_set.count(f)) only_tshark.insert(f);
    }
    for (uint64_t f : our_set) {
      if (!c.tshark.ntp.count(f)) only_ours.insert(f);
    }
    EXPECT_TRUE(only_tshark.empty() && only_ours.empty())
        << rel(c.path) << ": NTP frames only tshark sees: " << frame_list(only_tshark)
        << "; only the decoder yields: " << frame_list(only_ours)
        << (ours.opened ? "" : "; decoder could not open it: " + ours.error);
  }
  EXPECT_GE(compared, 20u);
}

// Every field of every NTP frame, compared with tshark's dissection (PDML) of the same frame.
TEST_F(TsharkFieldsTest, EveryFieldOfEveryNtpFrame) {
  std::vector<const Capture*> with_ntp;
  std::vector<std::string> paths;
  for (const auto& c : *captures_) {
    if (c.tshark.ntp.empty()) continue;
    with_ntp.push_back(&c);
    paths.push_back(c.path);
  }
  ASSERT_FALSE(with_ntp.empty());
  const auto runs = tshark_each(paths, std::string("-Y ") + quote(kNtpFilter) + " -T pdml");
  size_t frames = 0;
  size_t inconsistent = 0;
  std::map<int, size_t> modes;
  for (size_t i = 0; i < with_ntp.size(); ++i) {
    const Capture& c = *with_ntp[i];
    const std::string name = rel(c.path);
    auto packets = parse_pdml(runs[i].out);
    // The display filter and the protocol stacks name the same frames.
    std::set<uint64_t> filtered;
    for (auto& p : packets) {
      const auto number = c.tshark.packet.find(p.frame);
      if (number == c.tshark.packet.end()) {
        ADD_FAILURE() << name << " frame " << p.frame << ": not among the frames tshark listed";
        continue;
      }
      p.packet = number->second;
      filtered.insert(p.packet);
    }
    EXPECT_EQ(filtered, c.tshark.ntp)
        << name << ": tshark -Y '" << kNtpFilter << "' and frame.protocols disagree";
    const OurFrames ours = decode_capture(c.path);
    ASSERT_TRUE(ours.opened) << name << ": " << ours.error;
    for (const auto& p : packets) {
      const auto it = ours.ntp.find(p.packet);
      if (it == ours.ntp.end()) continue;  // reported by SameNtpFramesPerCapture
      ++frames;
      ++modes[it->second.obs.ntp.mode];
      compare_frame(name, p, it->second);
      if (it->second.status == NtpStatus::kTrailerInconsistent) {
        ++inconsistent;
        compare_inconsistent_trailer(name, p, it->second);
      }
    }
  }
  // The comparison covered real ground: hundreds of frames, the modes the data set documents.
  EXPECT_GE(frames, 600u);
  for (int mode : {1, 2, 3, 4, 6, 7})
    EXPECT_GT(modes[mode], 0u) << "no mode " << mode << " frame compared";
  RecordProperty("ntp_frames_compared", static_cast<int>(frames));
  RecordProperty("inconsistent_trailers", static_cast<int>(inconsistent));
}

// The comparison can fail: one field of a real frame altered on the decoder's side is reported as
// exactly one mismatch naming that field, in each branch (a mode 3/4 frame with a MAC, mode 6,
// mode 7, IPv6) and for an inconsistent-trailer verdict tshark does not share.
TEST_F(TsharkFieldsTest, ComparisonReportsEachAlteredField) {
  const std::string root = shared_data() + "/pcap/ntp/";
  const std::vector<std::string> files = {root + "tcpdump_ntp.pcap", root + "zeek_ntpmode67.pcap",
                                          root + "zeek_NTP-digest.pcap"};
  const auto runs = tshark_each(files, std::string("-Y ") + quote(kNtpFilter) + " -T pdml");
  struct Sample {
    PdmlPacket pdml;
    Decoded ours;
    bool found = false;
  };
  // No custom blocks in these files: tshark's frame numbers are packet numbers.
  auto pick = [&](size_t file, const std::function<bool(const Decoded&)>& wanted) {
    Sample s;
    const OurFrames ours = decode_capture(files[file]);
    for (const auto& p : parse_pdml(runs[file].out)) {
      const auto it = ours.ntp.find(p.frame);
      if (it == ours.ntp.end() || !wanted(it->second)) continue;
      s = Sample{p, it->second, true};
      break;
    }
    EXPECT_TRUE(s.found) << files[file];
    return s;
  };
  using Alter = std::function<void(Decoded&)>;
  auto expect_reported = [](const std::string& file, const Sample& s,
                            const std::vector<std::pair<std::string, Alter>>& alterations) {
    ASSERT_TRUE(s.found);
    for (const auto& [field, alter] : alterations) {
      Decoded altered = s.ours;
      alter(altered);
      EXPECT_NONFATAL_FAILURE(compare_frame(file, s.pdml, altered), "field " + field + ":");
    }
  };

  const Sample mac = pick(0, [](const Decoded& d) {
    return d.obs.ip_version == 4 && d.obs.ntp.mode == 3 && d.obs.ntp.mac_length == 24;
  });
  expect_reported(
      "tcpdump_ntp.pcap", mac,
      {
          {"frame.time_epoch", [](Decoded& d) { d.obs.time_ns += 1; }},
          {"frame.len", [](Decoded& d) { d.obs.wire_length += 1; }},
          {"ip.src", [](Decoded& d) { d.obs.src = core::Address::from_v4(0x0a000001); }},
          {"ip.dst", [](Decoded& d) { d.obs.dst = core::Address::from_v4(0x0a000001); }},
          {"ip.ttl", [](Decoded& d) { d.obs.ttl ^= 1; }},
          {"ip.len", [](Decoded& d) { d.obs.ip_length += 1; }},
          {"udp.srcport", [](Decoded& d) { d.obs.src_port ^= 1; }},
          {"udp.dstport", [](Decoded& d) { d.obs.dst_port ^= 1; }},
          {"udp.length", [](Decoded& d) { d.obs.udp_length += 1; }},
          {"ntp length", [](Decoded& d) { d.obs.ntp_length += 1; }},
          {"ntp.flags.li", [](Decoded& d) { d.obs.ntp.leap ^= 1; }},
          {"ntp.flags.vn", [](Decoded& d) { d.obs.ntp.version ^= 1; }},
          {"ntp.stratum", [](Decoded& d) { d.obs.ntp.stratum ^= 1; }},
          {"ntp.ppoll", [](Decoded& d) { d.obs.ntp.poll ^= 1; }},
          {"ntp.precision", [](Decoded& d) { d.obs.ntp.precision ^= 1; }},
          {"ntp.rootdelay", [](Decoded& d) { d.obs.ntp.root_delay ^= 1; }},
          {"ntp.rootdispersion", [](Decoded& d) { d.obs.ntp.root_dispersion ^= 1; }},
          {"ntp.refid", [](Decoded& d) { d.obs.ntp.reference_id ^= 1; }},
          {"ntp.reftime", [](Decoded& d) { d.obs.ntp.reference_ts ^= 1; }},
          {"ntp.org", [](Decoded& d) { d.obs.ntp.origin_ts ^= 1; }},
          {"ntp.rec", [](Decoded& d) { d.obs.ntp.receive_ts ^= 1; }},
          {"ntp.xmt", [](Decoded& d) { d.obs.ntp.transmit_ts ^= 1; }},
          {"ntp.ext count", [](Decoded& d) { d.obs.ntp.extension_fields = 1; }},
          {"ntp.ext bytes", [](Decoded& d) { d.obs.ntp.extension_bytes = 16; }},
          {"ntp.keyid + ntp.mac bytes", [](Decoded& d) { d.obs.ntp.mac_length = 20; }},
          {"ntp.keyid", [](Decoded& d) { d.obs.ntp.key_id ^= 1; }},
      });
  // The decoder calling this valid 24-byte MAC inconsistent would be a discrepancy too.
  Decoded inconsistent = mac.ours;
  inconsistent.status = NtpStatus::kTrailerInconsistent;
  inconsistent.obs.ntp.mac_length = 0;
  EXPECT_NONFATAL_FAILURE(compare_inconsistent_trailer("tcpdump_ntp.pcap", mac.pdml, inconsistent),
                          "tshark reads it as 0 extension field(s) and a 24-byte MAC");

  const Sample control = pick(1, [](const Decoded& d) { return d.obs.ntp.mode == 6; });
  expect_reported(
      "zeek_ntpmode67.pcap", control,
      {
          {"ntp.ctrl.flags2.opcode", [](Decoded& d) { d.obs.ntp.control_opcode ^= 1; }},
          {"ntp.ctrl.flags2.r",
           [](Decoded& d) { d.obs.ntp.control_response = !d.obs.ntp.control_response; }},
          {"ntp.flags.li", [](Decoded& d) { d.obs.ntp.leap ^= 1; }},
      });
  const Sample priv = pick(1, [](const Decoded& d) { return d.obs.ntp.mode == 7; });
  expect_reported(
      "zeek_ntpmode67.pcap", priv,
      {
          {"ntp.priv.reqcode", [](Decoded& d) { d.obs.ntp.private_request ^= 1; }},
          {"ntp.priv.impl", [](Decoded& d) { d.obs.ntp.private_implementation ^= 1; }},
          {"ntp.priv.flags.r",
           [](Decoded& d) { d.obs.ntp.control_response = !d.obs.ntp.control_response; }},
          {"ntp.priv.flags.more (leap bit 0)", [](Decoded& d) { d.obs.ntp.leap ^= 1; }},
      });
  const Sample v6 = pick(2, [](const Decoded& d) { return d.obs.ip_version == 6; });
  expect_reported("zeek_NTP-digest.pcap", v6,
                  {
                      {"ipv6.src", [](Decoded& d) { d.obs.src.lo ^= 1; }},
                      {"ipv6.dst", [](Decoded& d) { d.obs.dst.hi ^= 1; }},
                      {"ipv6.hlim", [](Decoded& d) { d.obs.ttl ^= 1; }},
                      {"ipv6.plen + 40", [](Decoded& d) { d.obs.ip_length += 1; }},
                  });
}

}  // namespace
}  // namespace iotcensus::decode
