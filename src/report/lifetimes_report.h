// Writes a lifetime analysis (Kaplan-Meier table, median, restricted mean, log-rank, ranked
// parametric fits, likelihood-ratio tests), or a population-series analysis (straight line,
// population curves, projections), or both side by side for a class of the store, as a table
// for people, CSV, or JSON (docs/formats.md).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analyze/kaplan_meier.h"
#include "analyze/likelihood_ratio.h"
#include "analyze/linear_decline.h"
#include "analyze/log_rank.h"
#include "analyze/parametric.h"
#include "analyze/population_curve.h"
#include "analyze/population_projection.h"
#include "report/census_report.h"

namespace iotcensus::report {

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

// Lifetimes taken from the store: the class's lives and how they became survival data.
struct LivesSource {
  std::string store;
  std::string class_name;
  std::string first_day, last_day;  // the record (YYYY-MM-DD)
  int32_t absence_days = 0;         // W
  std::string absence_reason;
  uint64_t lives = 0;           // all lives of the class
  uint64_t dead = 0;            // kept, events
  uint64_t alive = 0;           // kept, censored at the end of the record
  uint64_t lost = 0;            // kept, censored at an outage
  uint64_t left_truncated = 0;  // left out (born before the record)
  uint32_t k = 1;               // publication: Kaplan-Meier rows with fewer at risk withheld
  uint64_t withheld_rows = 0;
};

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
  std::vector<analyze::LikelihoodRatioTest> likelihood_ratio;
  std::optional<LivesSource> lives;            // lifetimes from the store
  std::optional<PopulationReport> population;  // the store's daily counts and births
};

// table: summary, ranked fits with AIC differences, likelihood-ratio tests, (from the store) the
// survival fits and population curves side by side and the population analysis, then the
// Kaplan-Meier event rows; csv: the Kaplan-Meier table; json: everything (docs/formats.md).
void write_lifetimes(std::ostream& out, const LifetimesReport& report, Format format);

}  // namespace iotcensus::report
