// Population estimates per class and bin from a linked class: each estimator gives a point with
// a low and a high bound and names its method; `best` is the one we recommend.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/daily_series.h"
#include "analyze/device_linker.h"
#include "analyze/lives.h"

namespace iotcensus::analyze {

enum class PopulationBin { kDay, kWeek, kMonth };

struct EstimateRow {
  int64_t bin_start = 0;  // Unix seconds, midnight UTC (weeks start on Monday)
  std::string class_name;
  std::string estimator;
  double estimate = 0;
  double low = 0;
  double high = 0;
};

struct EstimatorInfo {
  const char* name;
  const char* method;
};
// Every estimator with a one-line description of its method, in output order.
const std::vector<EstimatorInfo>& population_estimators();

struct PopulationOptions {
  PopulationBin bin = PopulationBin::kDay;
  double flood_below_s = 15;  // `rate` only on days whose median period is shorter (RFC 4330)
  int32_t absence_days = 0;   // W, as the lives were split with (births and deaths of NAT groups)
};

// Rows per bin (bins with data), per estimator in population_estimators() order. Day bins carry
// every estimator; week and month bins count distinct entities over the bin (raw, churn, best),
// births and deaths, and the mean daily `best`.
std::vector<EstimateRow> estimate_population(const std::string& class_name,
                                             const DeviceLinker& linker,
                                             const std::vector<Life>& lives,
                                             const PopulationOptions& options);

// One estimator's values from day-bin rows as a daily series of dates (days since 1970-01-01),
// for the population curves; rows without a number (NaN: suppressed) are left out.
DailySeries estimator_series(const std::vector<EstimateRow>& rows, const std::string& estimator);

// Start of the bin holding `day_s`.
int64_t bin_start_of(int64_t day_s, PopulationBin bin);

}  // namespace iotcensus::analyze
