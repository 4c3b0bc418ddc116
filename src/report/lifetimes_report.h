// Writes a lifetime analysis (Kaplan-Meier table, median, restricted mean, log-rank, ranked
// parametric fits), or a population-series analysis (straight line, population curves,
// projections), as a table for people, CSV, or JSON (docs/formats.md).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analyze/kaplan_meier.h"
#include "analyze/linear_decline.h"
#include "analyze/log_rank.h"
#include "analyze/parametric.h"
#include "analyze/population_curve.h"
#include "analyze/population_projection.h"
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

// A population series with the straight line and the population curves fitted to it.
struct PopulationReport {
  std::string source;         // the population CSV
  std::string births_source;  // the births CSV ("" when none: the straight line only)
  analyze::DailySeries population;
  std::optional<analyze::LinearDecline> line;
  std::vector<analyze::PopulationCurveFit> curves;    // best AIC first
  std::vector<analyze::PopulationModelRank> ranking;  // line and curves, best AIC first
  std::vector<analyze::Projection> projections;       // in ranking order
  double below = 0;                                   // X of --project-below (NaN: none)
  double conf_level = 0.95;
  int draws = 0;
};

// table: ranking with crossing days and the best model's projection; csv: one row per day
// (observed, then projected) for the best model; json: everything (docs/formats.md).
void write_population(std::ostream& out, const PopulationReport& report, Format format);

}  // namespace iotcensus::report
