// Scenario TOML loading. Every value is checked for type and range and unknown keys are errors,
// so a typo never silently falls back to a default; messages read "FILE: cohort 'X': key: why".

#include "simulate/scenario.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/time_bin.h"

namespace iotcensus::simulate {

namespace {

using core::ErrorCode;
using core::make_error;

class Parser {
 public:
  explicit Parser(std::string origin) : origin_(std::move(origin)) {}

  core::Result<Scenario> parse(std::string_view text);

 private:
  core::Error error(const std::string& where, const std::string& what) const {
    return make_error(ErrorCode::kUsage, fmt::format("{}: {}: {}", origin_, where, what));
  }

  // Rejects keys of `table` outside `known`.
  std::optional<core::Error> only_keys(const toml::table& table, const std::string& where,
                                       std::initializer_list<std::string_view> known) const {
    for (const auto& [key, node] : table) {
      bool ok = false;
      for (auto k : known) ok = ok || key.str() == k;
      if (!ok) return error(where, fmt::format("unknown key '{}'", key.str()));
    }
    return std::nullopt;
  }

  // A number (integer or float) within [lo, hi]; absent keeps `out`.
  std::optional<core::Error> number(const toml::table& t, const std::string& where,
                                    std::string_view key, double lo, double hi, double& out) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    std::optional<double> v = n->value<double>();
    if (!v) return error(where, fmt::format("'{}' must be a number", key));
    if (!(*v >= lo && *v <= hi) || !std::isfinite(*v)) {
      return error(where, fmt::format("'{}' = {} is outside {}..{}", key, *v, lo, hi));
    }
    out = *v;
    return std::nullopt;
  }

  std::optional<core::Error> text(const toml::table& t, const std::string& where,
                                  std::string_view key, std::string& out, bool required) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) return error(where, fmt::format("'{}' is required", key));
      return std::nullopt;
    }
    auto v = n->value<std::string>();
    if (!v) return error(where, fmt::format("'{}' must be a string", key));
    out = *v;
    return std::nullopt;
  }

  // A time: an ISO 8601 string or a TOML date / date-time.
  std::optional<core::Error> time(const toml::node* n, const std::string& where,
                                  std::string_view key, int64_t& out) const {
    if (!n) return error(where, fmt::format("'{}' is required", key));
    std::string s;
    if (auto v = n->value<std::string>()) {
      s = *v;
    } else if (const auto* d = n->as_date()) {
      s = fmt::format("{:04}-{:02}-{:02}", d->get().year, d->get().month, d->get().day);
    } else if (const auto* dt = n->as_date_time()) {
      const auto& v = dt->get();
      if (v.offset && v.offset->minutes != 0) {
        return error(where, fmt::format("'{}' must be in UTC", key));
      }
      s = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", v.date.year, v.date.month, v.date.day,
                      v.time.hour, v.time.minute, v.time.second);
    } else {
      return error(where, fmt::format("'{}' must be a date (YYYY-MM-DD or ISO 8601 UTC)", key));
    }
    auto t = core::parse_iso8601(s);
    if (!t) return error(where, fmt::format("'{}' = '{}' is not an ISO 8601 time", key, s));
    out = *t;
    return std::nullopt;
  }

  std::optional<core::Error> episodes(const toml::table& t, const std::string& where,
                                      std::string_view key, std::vector<Episode>& out) const;
  std::optional<core::Error> cohort(const toml::table& t, size_t index, Cohort& c) const;
  std::optional<core::Error> client(const toml::table& t, const std::string& where,
                                    ClientBehaviour& c) const;
  std::optional<core::Error> births(const toml::node* n, const std::string& where,
                                    BirthCurve& out) const;
  std::optional<core::Error> lifetime(const toml::node* n, const std::string& where,
                                      Lifetime& out) const;
  std::optional<core::Error> activity(const toml::table& t, const std::string& where,
                                      Activity& a) const;
  std::optional<core::Error> addressing(const toml::table& t, const std::string& where,
                                        Addressing& a) const;

  std::string origin_;
};

const toml::table* sub_table(const toml::table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  return n ? n->as_table() : nullptr;
}

std::optional<core::Error> Parser::episodes(const toml::table& t, const std::string& where,
                                            std::string_view key, std::vector<Episode>& out) const {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  const toml::array* arr = n->as_array();
  if (!arr) return error(where, fmt::format("'{}' must be a list of {{from, to}} tables", key));
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string w = fmt::format("{} {}[{}]", where, key, i);
    const toml::table* e = (*arr)[i].as_table();
    if (!e) return error(w, "must be a table {from = ..., to = ...}");
    if (auto err = only_keys(*e, w, {"from", "to", "note"})) return err;
    Episode ep;
    if (auto err = time(e->get("from"), w, "from", ep.from_s)) return err;
    if (auto err = time(e->get("to"), w, "to", ep.to_s)) return err;
    if (auto err = text(*e, w, "note", ep.note, false)) return err;
    if (ep.to_s <= ep.from_s) return error(w, "'to' must be after 'from'");
    out.push_back(std::move(ep));
  }
  return std::nullopt;
}

std::optional<core::Error> parse_hex48(const std::string& s, std::array<uint8_t, 48>& out) {
  std::string hex;
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) hex.push_back(c);
  }
  if (hex.size() != 96) {
    return make_error(ErrorCode::kUsage,
                      fmt::format("must be 48 bytes (96 hex digits), got {} digits", hex.size()));
  }
  for (size_t i = 0; i < 48; ++i) {
    auto digit = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(ErrorCode::kUsage, "is not hexadecimal");
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return std::nullopt;
}

std::optional<core::Error> Parser::client(const toml::table& t, const std::string& where,
                                          ClientBehaviour& c) const {
  if (auto e = only_keys(t, where,
                         {"request_hex", "transmit", "src_port", "answered",
                          "unanswered_interval_s", "interval_spread", "zombie_share"})) {
    return e;
  }
  std::string hex;
  if (auto e = text(t, where, "request_hex", hex, true)) return e;
  if (auto e = parse_hex48(hex, c.request)) return error(where, "'request_hex' " + e->message);
  if ((c.request[0] & 7) != 3)
    return error(where, "'request_hex' is not a mode 3 (client) request");
  std::string transmit = "template";
  if (auto e = text(t, where, "transmit", transmit, false)) return e;
  if (transmit == "template")
    c.transmit = TransmitFill::kTemplate;
  else if (transmit == "clock")
    c.transmit = TransmitFill::kClock;
  else if (transmit == "clock-ntpdig")
    c.transmit = TransmitFill::kClockNtpdig;
  else if (transmit == "random")
    c.transmit = TransmitFill::kRandom;
  else
    return error(where,
                 fmt::format("'transmit' = '{}': expected template, clock, clock-ntpdig or random",
                             transmit));
  const toml::node* port = t.get("src_port");
  if (!port)
    return error(where, "'src_port' is required (a port number, \"per-day\" or \"per-request\")");
  if (auto v = port->value<int64_t>()) {
    if (*v < 1 || *v > 65535)
      return error(where, fmt::format("'src_port' = {} is outside 1..65535", *v));
    c.port_mode = PortMode::kFixed;
    c.fixed_port = static_cast<uint16_t>(*v);
  } else if (auto s = port->value<std::string>(); s && *s == "per-day") {
    c.port_mode = PortMode::kPerDay;
  } else if (s && *s == "per-request") {
    c.port_mode = PortMode::kPerRequest;
  } else {
    return error(where, "'src_port' must be a port number, \"per-day\" or \"per-request\"");
  }
  const toml::node* ans = t.get("answered");
  const toml::array* arr = ans ? ans->as_array() : nullptr;
  if (!arr || arr->empty()) {
    return error(where, "'answered' is required: a list of {interval_s, share} tables");
  }
  double total = 0;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string w = fmt::format("{} answered[{}]", where, i);
    const toml::table* a = (*arr)[i].as_table();
    if (!a) return error(w, "must be a table {interval_s = ..., share = ...}");
    if (auto e = only_keys(*a, w, {"interval_s", "share"})) return e;
    AnsweredCadence cad{0, 1.0};
    if (!a->get("interval_s")) return error(w, "'interval_s' is required");
    if (auto e = number(*a, w, "interval_s", 0.001, 1e7, cad.interval_s)) return e;
    if (auto e = number(*a, w, "share", 0, 1e9, cad.share)) return e;
    total += cad.share;
    c.answered.push_back(cad);
  }
  if (total <= 0) return error(where, "'answered' shares sum to zero");
  for (auto& a : c.answered) a.share /= total;
  if (!t.get("unanswered_interval_s")) return error(where, "'unanswered_interval_s' is required");
  if (auto e = number(t, where, "unanswered_interval_s", 0.001, 1e7, c.unanswered_interval_s))
    return e;
  if (auto e = number(t, where, "interval_spread", 0, 0.5, c.interval_spread)) return e;
  if (auto e = number(t, where, "zombie_share", 0, 1, c.zombie_share)) return e;
  return std::nullopt;
}

std::optional<core::Error> Parser::births(const toml::node* n, const std::string& where,
                                          BirthCurve& out) const {
  const toml::table* t = n ? n->as_table() : nullptr;
  if (!t)
    return error(where, "'births' is required: a table with 'curve' = [[date, density], ...]");
  if (auto e = only_keys(*t, where + " births", {"curve"})) return e;
  const toml::node* c = t->get("curve");
  const toml::array* arr = c ? c->as_array() : nullptr;
  if (!arr || arr->size() < 2)
    return error(where + " births", "'curve' needs at least two [date, density] points");
  std::vector<BirthPoint> points;
  double total = 0;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string w = fmt::format("{} births curve[{}]", where, i);
    const toml::array* p = (*arr)[i].as_array();
    if (!p || p->size() != 2) return error(w, "must be [date, density]");
    BirthPoint bp;
    if (auto e = time(p->get(0), w, "date", bp.time_s)) return e;
    auto d = p->get(1)->value<double>();
    if (!d || !(*d >= 0) || !std::isfinite(*d)) return error(w, "density must be a number >= 0");
    bp.density = *d;
    if (!points.empty() && bp.time_s <= points.back().time_s)
      return error(w, "dates must increase");
    total += bp.density;
    points.push_back(bp);
  }
  if (total <= 0) return error(where + " births", "every density is zero");
  out = BirthCurve(std::move(points));
  return std::nullopt;
}

std::optional<core::Error> Parser::lifetime(const toml::node* n, const std::string& where,
                                            Lifetime& out) const {
  const toml::array* arr = n ? n->as_array() : nullptr;
  if (!arr || arr->empty()) {
    return error(where, "'lifetime' is required: [[cohort.lifetime]] tables with 'kind'");
  }
  std::vector<LifetimeComponent> comps;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string w = fmt::format("{} lifetime[{}]", where, i);
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return error(w, "must be a table");
    LifetimeComponent c;
    std::string kind;
    if (auto e = text(*t, w, "kind", kind, true)) return e;
    if (auto e = number(*t, w, "weight", 0, 1e9, c.weight)) return e;
    auto need = [&](std::string_view key, double lo, double hi,
                    double& v) -> std::optional<core::Error> {
      if (!t->get(key)) return error(w, fmt::format("'{}' is required for kind '{}'", key, kind));
      return number(*t, w, key, lo, hi, v);
    };
    if (kind == "exponential") {
      c.kind = LifetimeKind::kExponential;
      if (auto e = only_keys(*t, w, {"kind", "weight", "mean_days"})) return e;
      if (auto e = need("mean_days", 1e-6, 1e7, c.mean_days)) return e;
    } else if (kind == "weibull") {
      c.kind = LifetimeKind::kWeibull;
      if (auto e = only_keys(*t, w, {"kind", "weight", "shape", "scale_days"})) return e;
      if (auto e = need("shape", 0.05, 50, c.shape)) return e;
      if (auto e = need("scale_days", 1e-6, 1e7, c.scale_days)) return e;
    } else if (kind == "lognormal") {
      c.kind = LifetimeKind::kLogNormal;
      if (auto e = only_keys(*t, w, {"kind", "weight", "median_days", "sigma"})) return e;
      if (auto e = need("median_days", 1e-6, 1e7, c.median_days)) return e;
      if (auto e = need("sigma", 1e-6, 20, c.sigma)) return e;
    } else {
      return error(w,
                   fmt::format("'kind' = '{}': expected exponential, weibull or lognormal", kind));
    }
    comps.push_back(c);
  }
  double total = 0;
  for (const auto& c : comps) total += c.weight;
  if (total <= 0) return error(where, "lifetime weights sum to zero");
  out = Lifetime(std::move(comps));
  return std::nullopt;
}

std::optional<core::Error> Parser::activity(const toml::table& t, const std::string& where,
                                            Activity& a) const {
  if (auto e = only_keys(
          t, where,
          {"online_share", "session_hours", "session_start_hour", "session_start_sd_hours"})) {
    return e;
  }
  if (auto e = number(t, where, "online_share", 0, 1, a.online_share)) return e;
  if (auto e = number(t, where, "session_hours", 0.001, 24, a.session_hours)) return e;
  if (auto e = number(t, where, "session_start_hour", 0, 24, a.session_start_hour)) return e;
  if (auto e = number(t, where, "session_start_sd_hours", 0, 24, a.session_start_sd_hours))
    return e;
  return std::nullopt;
}

std::optional<core::Error> Parser::addressing(const toml::table& t, const std::string& where,
                                              Addressing& a) const {
  if (auto e =
          only_keys(t, where,
                    {"static_share", "dhcp_changes_per_day", "nat_share", "devices_per_address",
                     "nat_port_timeout_s", "ipv6_share", "ipv6_temporary_share"})) {
    return e;
  }
  if (auto e = number(t, where, "static_share", 0, 1, a.static_share)) return e;
  if (auto e = number(t, where, "dhcp_changes_per_day", 0, 1, a.dhcp_changes_per_day)) return e;
  if (auto e = number(t, where, "nat_share", 0, 1, a.nat_share)) return e;
  double k = a.devices_per_address;
  if (auto e = number(t, where, "devices_per_address", 1, 1000, k)) return e;
  if (k != std::floor(k)) return error(where, "'devices_per_address' must be a whole number");
  a.devices_per_address = static_cast<int>(k);
  if (auto e = number(t, where, "nat_port_timeout_s", 0, 86400, a.nat_port_timeout_s)) return e;
  if (auto e = number(t, where, "ipv6_share", 0, 1, a.ipv6_share)) return e;
  if (auto e = number(t, where, "ipv6_temporary_share", 0, 1, a.ipv6_temporary_share)) return e;
  return std::nullopt;
}

std::optional<core::Error> Parser::cohort(const toml::table& t, size_t index, Cohort& c) const {
  std::string where = fmt::format("cohort #{}", index + 1);
  if (auto e = text(t, where, "name", c.name, true)) return e;
  where = fmt::format("cohort '{}'", c.name);
  if (auto e = only_keys(
          t, where,
          {"name", "class", "count", "client", "births", "lifetime", "activity", "addressing"})) {
    return e;
  }
  if (auto e = text(t, where, "class", c.class_name, true)) return e;
  const toml::node* count = t.get("count");
  auto cv = count ? count->value<int64_t>() : std::nullopt;
  if (!cv || *cv < 0 || *cv > 4'000'000'000LL) {
    return error(where, "'count' is required: a whole number of devices (0..4e9)");
  }
  c.count = static_cast<uint64_t>(*cv);
  const toml::table* client = sub_table(t, "client");
  if (!client) return error(where, "'client' table is required");
  if (auto e = Parser::client(*client, where + " client", c.client)) return e;
  if (auto e = births(t.get("births"), where, c.births)) return e;
  if (auto e = lifetime(t.get("lifetime"), where, c.lifetime)) return e;
  if (const toml::table* a = sub_table(t, "activity")) {
    if (auto e = activity(*a, where + " activity", c.activity)) return e;
  }
  if (const toml::table* a = sub_table(t, "addressing")) {
    if (auto e = addressing(*a, where + " addressing", c.addressing)) return e;
  }
  return std::nullopt;
}

core::Result<Scenario> Parser::parse(std::string_view text_in) {
  toml::table doc;
  try {
    doc = toml::parse(text_in, origin_);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::kUsage, fmt::format("{}:{}:{}: {}", origin_, e.source().begin.line,
                                                     e.source().begin.column, e.description()));
  }
  Scenario s;
  if (auto e = only_keys(doc, "top level", {"scenario", "vantage", "cohort"})) return *e;
  const toml::table* meta = sub_table(doc, "scenario");
  if (!meta) return error("top level", "[scenario] table is required");
  if (auto e = only_keys(*meta, "[scenario]", {"name", "description", "start", "end"})) return *e;
  if (auto e = text(*meta, "[scenario]", "name", s.name, true)) return *e;
  if (auto e = text(*meta, "[scenario]", "description", s.description, false)) return *e;
  if (auto e = time(meta->get("start"), "[scenario]", "start", s.start_s)) return *e;
  if (auto e = time(meta->get("end"), "[scenario]", "end", s.end_s)) return *e;
  if (s.start_s % core::kSecondsPerDay != 0 || s.end_s % core::kSecondsPerDay != 0) {
    return error("[scenario]", "'start' and 'end' must be midnight UTC (whole days)");
  }
  if (s.end_s <= s.start_s) return error("[scenario]", "'end' must be after 'start'");

  const toml::table* vantage = sub_table(doc, "vantage");
  if (!vantage) return error("top level", "[vantage] table is required");
  if (auto e = only_keys(*vantage, "[vantage]", {"server", "server6", "unanswered", "outages"}))
    return *e;
  std::string server, server6 = "2001:db8::123";
  if (auto e = text(*vantage, "[vantage]", "server", server, true)) return *e;
  if (auto e = text(*vantage, "[vantage]", "server6", server6, false)) return *e;
  auto a4 = core::Address::parse(server);
  if (!a4 || !a4->is_v4())
    return error("[vantage]", fmt::format("'server' = '{}' is not an IPv4 address", server));
  auto a6 = core::Address::parse(server6);
  if (!a6 || a6->is_v4())
    return error("[vantage]", fmt::format("'server6' = '{}' is not an IPv6 address", server6));
  s.vantage.server = *a4;
  s.vantage.server6 = *a6;
  if (auto e = episodes(*vantage, "[vantage]", "unanswered", s.vantage.unanswered)) return *e;
  if (auto e = episodes(*vantage, "[vantage]", "outages", s.vantage.outages)) return *e;
  for (auto* list : {&s.vantage.unanswered, &s.vantage.outages}) {
    std::sort(list->begin(), list->end(),
              [](const Episode& a, const Episode& b) { return a.from_s < b.from_s; });
    for (size_t i = 1; i < list->size(); ++i) {
      if ((*list)[i].from_s < (*list)[i - 1].to_s) return error("[vantage]", "episodes overlap");
    }
  }

  const toml::node* cohorts = doc.get("cohort");
  const toml::array* arr = cohorts ? cohorts->as_array() : nullptr;
  if (!arr || arr->empty()) return error("top level", "at least one [[cohort]] is required");
  std::set<std::string> names;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return error(fmt::format("cohort #{}", i + 1), "must be a table");
    Cohort c;
    if (auto e = cohort(*t, i, c)) return *e;
    if (!names.insert(c.name).second)
      return error(fmt::format("cohort '{}'", c.name), "name used twice");
    s.cohorts.push_back(std::move(c));
  }
  if (s.cohorts.size() > 65535) return error("top level", "too many cohorts");
  return s;
}

}  // namespace

core::Result<Scenario> parse_scenario(std::string_view toml_text, const std::string& origin) {
  return Parser(origin).parse(toml_text);
}

core::Result<Scenario> load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("{}: cannot open scenario file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_scenario(ss.str(), path);
}

core::Result<Scenario> resolve_scenario(const std::string& name_or_path) {
  auto exists = [](const std::string& p) { return std::ifstream(p).good(); };
  const bool looks_like_path =
      name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".toml");
  if (looks_like_path || exists(name_or_path)) {
    if (exists(name_or_path) || looks_like_path) return load_scenario_file(name_or_path);
  }
  std::vector<std::string> tried;
  if (const char* dir = std::getenv("IOTCENSUS_SCENARIOS_DIR"); dir && *dir) {
    tried.push_back(std::string(dir) + "/" + name_or_path + ".toml");
  }
  tried.push_back("scenarios/" + name_or_path + ".toml");
  for (const auto& p : tried) {
    if (exists(p)) return load_scenario_file(p);
  }
  std::string list;
  for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p;
  return make_error(ErrorCode::kUsage,
                    fmt::format("scenario '{}' not found (tried {})", name_or_path, list));
}

}  // namespace iotcensus::simulate
