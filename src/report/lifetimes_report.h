// Writes a lifetime analysis (Kaplan-Meier table, median, restricted mean, log-rank, ranked
// parametric fits) as a table for people, CSV of the KM table, or JSON (docs/formats.md).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analyze/kaplan_meier.h"
#include "analyze/log_rank.h"
#include "analyze/parametric.h"
#include "report/census_report.h"

namespace iotcensus::report {

struct LifetimesReport {
  std::string source;  // file or class the lifetimes came from
  int64_t subjects = 0;
  int64_t events = 0;
  size_t dropped_rows = 0;
  bool left_truncated = false;
  analyze::KaplanMeier km;
  analyze::SurvivalQuantile median;
  analyze::RestrictedMean rmean;
  std::optional<analyze::LogRankResult> log_rank;
  std::vector<analyze::ParametricFit> fits;  // best AIC first
};

void write_lifetimes(std::ostream& out, const LifetimesReport& report, Format format);

}  // namespace iotcensus::report
