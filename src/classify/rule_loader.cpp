#include "classify/rule_loader.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <fstream>
#include <sstream>

namespace iotcensus::classify {

using core::ErrorCode;
using core::make_error;

namespace {

class RuleParser {
 public:
  RuleParser(std::string origin) : origin_(std::move(origin)) {}

  core::Error error(const std::string& rule, const std::string& what) const {
    return make_error(ErrorCode::kBadRule, fmt::format("{}: rule '{}': {}", origin_, rule, what));
  }

  // Reads a list (or a single value) of integers within [lo, hi].
  std::optional<core::Error> ints(const toml::node& node, const std::string& rule,
                                  const std::string& key, int64_t lo, int64_t hi,
                                  std::vector<int64_t>& out) const {
    auto take = [&](const toml::node& n) -> std::optional<core::Error> {
      auto v = n.value<int64_t>();
      if (!v) return error(rule, fmt::format("'{}' must hold integers", key));
      if (*v < lo || *v > hi) {
        return error(rule, fmt::format("'{}' value {} is outside {}..{}", key, *v, lo, hi));
      }
      out.push_back(*v);
      return std::nullopt;
    };
    if (const auto* arr = node.as_array()) {
      for (const auto& n : *arr) {
        if (auto e = take(n)) return e;
      }
      if (out.empty()) return error(rule, fmt::format("'{}' is an empty list", key));
      return std::nullopt;
    }
    return take(node);
  }

  std::optional<core::Error> bytes_hex(const toml::node& node, const std::string& rule,
                                       const std::string& key, std::vector<uint8_t>& out) const {
    auto s = node.value<std::string>();
    if (!s) return error(rule, fmt::format("'{}' must be a hex string", key));
    std::string hex;
    for (char c : *s) {
      if (!isspace(static_cast<unsigned char>(c))) hex.push_back(c);
    }
    if (hex.size() % 2 != 0)
      return error(rule, fmt::format("'{}' has an odd number of digits", key));
    for (size_t i = 0; i < hex.size(); i += 2) {
      unsigned v;
      if (sscanf(hex.substr(i, 2).c_str(), "%2x", &v) != 1 || !isxdigit(hex[i]) ||
          !isxdigit(hex[i + 1])) {
        return error(rule, fmt::format("'{}' is not hexadecimal", key));
      }
      out.push_back(static_cast<uint8_t>(v));
    }
    return std::nullopt;
  }

  std::optional<core::Error> timestamps(const toml::node& node, const std::string& rule,
                                        const std::string& key,
                                        std::vector<core::NtpTimestamp>& out) const {
    const auto* arr = node.as_array();
    if (!arr) return error(rule, fmt::format("'{}' must be a list of names", key));
    for (const auto& n : *arr) {
      auto s = n.value<std::string>();
      if (!s) return error(rule, fmt::format("'{}' must hold strings", key));
      if (*s == "reference")
        out.push_back(core::NtpTimestamp::kReference);
      else if (*s == "origin")
        out.push_back(core::NtpTimestamp::kOrigin);
      else if (*s == "receive")
        out.push_back(core::NtpTimestamp::kReceive);
      else if (*s == "transmit")
        out.push_back(core::NtpTimestamp::kTransmit);
      else
        return error(
            rule, fmt::format("'{}': unknown timestamp '{}' (reference, origin, receive, transmit)",
                              key, *s));
    }
    return std::nullopt;
  }

  std::optional<core::Error> addresses(const toml::node& node, const std::string& rule,
                                       const std::string& key,
                                       std::vector<AddressPrefix>& out) const {
    auto take = [&](const toml::node& n) -> std::optional<core::Error> {
      auto s = n.value<std::string>();
      if (!s) return error(rule, fmt::format("'{}' must hold address strings", key));
      std::string text = *s;
      int bits = -1;
      if (auto slash = text.find('/'); slash != std::string::npos) {
        bits = std::atoi(text.c_str() + slash + 1);
        text.resize(slash);
      }
      auto a = core::Address::parse(text);
      const int max_bits = a && a->is_v4() ? 32 : 128;
      if (!a || bits > max_bits || bits == 0 || bits < -1) {
        return error(rule, fmt::format("'{}': '{}' is not an address or prefix", key, *s));
      }
      if (bits < 0) bits = max_bits;
      out.push_back({a->prefix(bits), bits});
      return std::nullopt;
    };
    if (const auto* arr = node.as_array()) {
      for (const auto& n : *arr) {
        if (auto e = take(n)) return e;
      }
      return std::nullopt;
    }
    return take(node);
  }

  std::optional<core::Error> conditions(const toml::table& t, const std::string& rule,
                                        PacketConditions& c) const {
    for (const auto& [k, node] : t) {
      const std::string key(k.str());
      std::vector<int64_t> v;
      std::optional<core::Error> e;
      auto bits8 = [&](std::optional<std::bitset<8>>& dst, int64_t hi) {
        e = ints(node, rule, key, 0, hi, v);
        if (!e) {
          dst.emplace();
          for (auto x : v) dst->set(static_cast<size_t>(x));
        }
      };
      auto list = [&](auto& dst, int64_t lo, int64_t hi) {
        e = ints(node, rule, key, lo, hi, v);
        if (!e) {
          for (auto x : v)
            dst.push_back(static_cast<typename std::decay_t<decltype(dst)>::value_type>(x));
        }
      };
      if (key == "leap")
        bits8(c.leap, 3);
      else if (key == "version")
        bits8(c.version, 7);
      else if (key == "mode")
        bits8(c.mode, 7);
      else if (key == "stratum") {
        e = ints(node, rule, key, 0, 255, v);
        if (!e) {
          c.stratum.emplace();
          for (auto x : v) c.stratum->set(static_cast<size_t>(x));
        }
      } else if (key == "poll")
        list(c.poll, -128, 127);
      else if (key == "precision")
        list(c.precision, -128, 127);
      else if (key == "root_delay")
        list(c.root_delay, 0, 0xffffffffLL);
      else if (key == "root_dispersion")
        list(c.root_dispersion, 0, 0xffffffffLL);
      else if (key == "reference_id")
        list(c.reference_id, 0, 0xffffffffLL);
      else if (key == "ntp_length")
        list(c.ntp_length, 0, 65535);
      else if (key == "udp_length")
        list(c.udp_length, 0, 65535);
      else if (key == "ip_total_length")
        list(c.ip_total_length, 0, 65535);
      else if (key == "src_port")
        list(c.src_port, 0, 65535);
      else if (key == "dst_port")
        list(c.dst_port, 0, 65535);
      else if (key == "private_request")
        list(c.private_request, 0, 255);
      else if (key == "control_opcode")
        list(c.control_opcode, 0, 31);
      else if (key == "src_address")
        e = addresses(node, rule, key, c.src_address);
      else if (key == "dst_address")
        e = addresses(node, rule, key, c.dst_address);
      else if (key == "zero_timestamps")
        e = timestamps(node, rule, key, c.zero_timestamps);
      else if (key == "nonzero_timestamps")
        e = timestamps(node, rule, key, c.nonzero_timestamps);
      else if (key == "payload_hex")
        e = bytes_hex(node, rule, key, c.payload);
      else if (key == "payload_mask")
        e = bytes_hex(node, rule, key, c.payload_mask);
      else if (key == "extension_fields" || key == "mac") {
        auto b = node.value<bool>();
        if (!b)
          e = error(rule, fmt::format("'{}' must be true or false", key));
        else
          (key == "mac" ? c.mac : c.extension_fields) = *b;
      } else {
        e = error(rule, fmt::format("unknown match key '{}'", key));
      }
      if (e) return e;
    }
    if (!c.payload_mask.empty() && c.payload_mask.size() != c.payload.size()) {
      return error(rule, "payload_mask and payload_hex differ in length");
    }
    if (c.payload_mask.empty()) c.payload_mask.assign(c.payload.size(), 0xff);
    c.empty = t.empty();
    c.compile();
    return std::nullopt;
  }

  std::optional<core::Error> cadence(const toml::table& t, const std::string& rule,
                                     CadenceCondition& c) const {
    for (const auto& [k, node] : t) {
      const std::string key(k.str());
      if (key == "median_min_s" || key == "median_max_s") {
        auto v = node.value<double>();
        if (!v || *v < 0) return error(rule, fmt::format("'{}' must be a number >= 0", key));
        (key == "median_min_s" ? c.median_min_s : c.median_max_s) = *v;
      } else if (key == "min_intervals") {
        auto v = node.value<int64_t>();
        if (!v || *v < 1 || *v > 1000000) {
          return error(rule, "'min_intervals' must be an integer >= 1");
        }
        c.min_intervals = static_cast<uint32_t>(*v);
      } else {
        return error(rule, fmt::format("unknown cadence key '{}'", key));
      }
    }
    if (c.median_min_s > c.median_max_s) return error(rule, "median_min_s > median_max_s");
    return std::nullopt;
  }

  core::Result<std::vector<Rule>> parse(std::string_view text) {
    toml::table doc;
    try {
      doc = toml::parse(text, origin_);
    } catch (const toml::parse_error& e) {
      const auto& r = e.source().begin;
      return make_error(ErrorCode::kBadRule,
                        fmt::format("{}:{}:{}: {}", origin_, r.line, r.column, e.description()));
    }
    std::vector<Rule> rules;
    for (const auto& [k, node] : doc) {
      const std::string section(k.str());
      RuleKind kind;
      if (section == "class")
        kind = RuleKind::kClass;
      else if (section == "flag")
        kind = RuleKind::kFlag;
      else
        return make_error(
            ErrorCode::kBadRule,
            fmt::format("{}: unknown top-level key '{}' (expected [[class]] or [[flag]])", origin_,
                        section));
      const auto* arr = node.as_array();
      if (!arr) {
        return make_error(
            ErrorCode::kBadRule,
            fmt::format("{}: '{}' must be an array of tables ([[{}]])", origin_, section, section));
      }
      for (const auto& entry : *arr) {
        const auto* t = entry.as_table();
        if (!t)
          return make_error(ErrorCode::kBadRule,
                            fmt::format("{}: '{}' entry is not a table", origin_, section));
        Rule rule;
        rule.kind = kind;
        rule.origin = origin_;
        auto name = (*t)["name"].value<std::string>();
        if (!name || name->empty()) {
          return make_error(ErrorCode::kBadRule,
                            fmt::format("{}: a [[{}]] has no name", origin_, section));
        }
        rule.name = *name;
        for (char ch : rule.name) {
          if (!(islower(static_cast<unsigned char>(ch)) ||
                isdigit(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')) {
            return error(rule.name, "name must use lowercase letters, digits, '-', '_' or '.'");
          }
        }
        bool has_match = false;
        for (const auto& [rk, rn] : *t) {
          const std::string key(rk.str());
          if (key == "name") continue;
          if (key == "description") {
            auto d = rn.value<std::string>();
            if (!d) return error(rule.name, "'description' must be a string");
            rule.description = *d;
          } else if (key == "priority") {
            auto p = rn.value<int64_t>();
            if (!p || *p < 0 || *p > 1000000)
              return error(rule.name, "'priority' must be an integer 0..1000000");
            rule.priority = static_cast<int>(*p);
          } else if (key == "match" || key == "evidence") {
            const auto* mt = rn.as_table();
            if (!mt) return error(rule.name, fmt::format("'{}' must be a table", key));
            if (auto e = conditions(*mt, rule.name, key == "match" ? rule.match : rule.evidence))
              return *e;
            has_match |= key == "match";
          } else if (key == "cadence") {
            const auto* ct = rn.as_table();
            if (!ct) return error(rule.name, "'cadence' must be a table");
            CadenceCondition c;
            if (auto e = cadence(*ct, rule.name, c)) return *e;
            rule.cadence = c;
          } else {
            return error(rule.name, fmt::format("unknown key '{}'", key));
          }
        }
        if (!has_match && !rule.cadence) {
          return error(rule.name, "has neither [match] nor [cadence]: it would match everything");
        }
        rules.push_back(std::move(rule));
      }
    }
    return rules;
  }

 private:
  std::string origin_;
};

}  // namespace

core::Result<std::vector<Rule>> parse_rules(std::string_view toml_text, const std::string& origin) {
  return RuleParser(origin).parse(toml_text);
}

core::Result<std::vector<Rule>> load_rule_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("{}: cannot open rule file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_rules(ss.str(), path);
}

}  // namespace iotcensus::classify
