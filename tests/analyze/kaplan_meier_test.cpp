// Tests Kaplan-Meier, its intervals, quantiles and restricted mean, and Nelson-Aalen against R
// survival (shared/data/survival/expected_R, and R run live for left truncation).
#include "analyze/kaplan_meier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "analyze/survival_data.h"
#include "support/survival_sets.h"
#include "support/test_support.h"

namespace iotcensus::analyze {
namespace {

using testing::DataSet;
using testing::kDataSets;
using testing::parse_table;
using testing::read_table;
using testing::split_unquote;
using testing::survival_dir;
using testing::Table;

// Relative difference with NA == NA, Inf == Inf, and an absolute floor for zeros.
double rel_error(double got, double want) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got) ? 0 : 1e300;
  if (std::isinf(want) || std::isinf(got)) return got == want ? 0 : 1e300;
  const double diff = std::fabs(got - want);
  if (std::fabs(want) < 1e-12) return diff < 1e-12 ? 0 : diff;
  return diff / std::fabs(want);
}

// Worst relative errors per quantity over all data sets, printed at the end of the suite.
std::map<std::string, double>& worst() {
  static std::map<std::string, double> w;
  return w;
}
void check(const std::string& what, const std::string& where, double got, double want, double tol) {
  const double e = rel_error(got, want);
  double& w = worst()[what];
  w = std::max(w, e);
  EXPECT_LE(e, tol) << where << " " << what << ": got " << got << ", R " << want;
}

class WorstErrorPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& [what, e] : worst())
      std::printf("worst relative error %-16s %.3g\n", what.c_str(), e);
  }
};
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new WorstErrorPrinter);

SurvivalData load(const DataSet& ds) {
  auto data = load_survival_csv(survival_dir() + "/" + ds.file, {ds.time, ds.event, "", ""});
  EXPECT_TRUE(data) << (data ? "" : data.error().message);
  return data ? *data : SurvivalData{};
}

constexpr double kTolerance = 1e-6;

class KaplanMeierVsR : public ::testing::TestWithParam<DataSet> {};

TEST_P(KaplanMeierVsR, TableMatchesSurvfit) {
  const DataSet ds = GetParam();
  const SurvivalData data = load(ds);
  const KaplanMeier km = kaplan_meier(data);
  const Table want = read_table(survival_dir() + "/expected_R/km_" + ds.name + ".csv");
  ASSERT_EQ(km.rows.size(), want.cells.size()) << ds.name;
  for (std::size_t i = 0; i < km.rows.size(); ++i) {
    const KaplanMeierRow& r = km.rows[i];
    const std::string where = std::string(ds.name) + " row " + std::to_string(i);
    EXPECT_EQ(r.time, want.number(i, "time")) << where;
    EXPECT_EQ(r.n_risk, static_cast<int64_t>(want.number(i, "n_risk"))) << where;
    EXPECT_EQ(r.n_event, static_cast<int64_t>(want.number(i, "n_event"))) << where;
    EXPECT_EQ(r.n_censor, static_cast<int64_t>(want.number(i, "n_censor"))) << where;
    check("surv", where, r.surv, want.number(i, "surv"), kTolerance);
    check("se_surv", where, r.se_surv, want.number(i, "se_surv"), kTolerance);
    check("se_log_surv", where, r.se_log_surv, want.number(i, "se_log_surv"), kTolerance);
    check("lower_log", where, r.lower_log, want.number(i, "lower95_log"), kTolerance);
    check("upper_log", where, r.upper_log, want.number(i, "upper95_log"), kTolerance);
    check("lower_loglog", where, r.lower_loglog, want.number(i, "lower95_loglog"), kTolerance);
    check("upper_loglog", where, r.upper_loglog, want.number(i, "upper95_loglog"), kTolerance);
    check("cumhaz", where, r.cumhaz, want.number(i, "nelson_aalen_cumhaz"), kTolerance);
    check("se_cumhaz", where, r.se_cumhaz, want.number(i, "se_cumhaz"), kTolerance);
  }
}

TEST_P(KaplanMeierVsR, MedianAndRestrictedMeanMatchPrintSurvfit) {
  const DataSet ds = GetParam();
  const SurvivalData data = load(ds);
  const KaplanMeier km = kaplan_meier(data);
  const Table want = read_table(survival_dir() + "/expected_R/medians.csv");
  std::size_t row = want.cells.size();
  for (std::size_t i = 0; i < want.cells.size(); ++i) {
    if (want.cells[i][want.column("dataset")] == ds.name) row = i;
  }
  ASSERT_LT(row, want.cells.size()) << ds.name;
  EXPECT_EQ(km.n, static_cast<int64_t>(want.number(row, "n")));
  EXPECT_EQ(km.events, static_cast<int64_t>(want.number(row, "events")));
  const SurvivalQuantile q = km_quantile(km, 0.5);
  auto same = [&](double got, const char* column) {
    const double w = want.number(row, column);
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(got)) << ds.name << " " << column << ": got " << got << ", R NA";
    } else {
      EXPECT_DOUBLE_EQ(got, w) << ds.name << " " << column;
    }
  };
  same(q.time, "median");
  same(q.lower_log, "median_lower95_log");
  same(q.upper_log, "median_upper95_log");
  same(q.lower_loglog, "median_lower95_loglog");
  same(q.upper_loglog, "median_upper95_loglog");
  const RestrictedMean rm = restricted_mean(km);
  EXPECT_EQ(rm.end_time, want.number(row, "rmean_endtime"));
  check("rmean", ds.name, rm.mean, want.number(row, "rmean"), kTolerance);
  check("rmean_se", ds.name, rm.se, want.number(row, "rmean_se"), kTolerance);
}

INSTANTIATE_TEST_SUITE_P(AllDataSets, KaplanMeierVsR, ::testing::ValuesIn(kDataSets),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(KaplanMeier, LungAtFixedTimesMatchesSummarySurvfit) {
  const KaplanMeier km = kaplan_meier(load(kDataSets[0]));
  const Table want = read_table(survival_dir() + "/expected_R/lung_km_at_times.csv");
  ASSERT_FALSE(want.cells.empty());
  for (std::size_t i = 0; i < want.cells.size(); ++i) {
    const double t = want.number(i, "time");
    const KaplanMeierRow* r = km.row_at(t);
    ASSERT_NE(r, nullptr);
    const std::string where = "lung t=" + std::to_string(t);
    EXPECT_EQ(km.n_risk_at(t), static_cast<int64_t>(want.number(i, "n_risk"))) << where;
    check("surv", where, r->surv, want.number(i, "surv"), kTolerance);
    check("se_surv", where, r->se_surv, want.number(i, "std_err"), kTolerance);
    check("lower_log", where, r->lower_log, want.number(i, "lower95"), kTolerance);
    check("upper_log", where, r->upper_log, want.number(i, "upper95"), kTolerance);
  }
}

TEST(KaplanMeier, QuantileTakesMidpointOfExactFlatStretch) {
  // S = 1, 0.75, 0.5 (flat from 3 to 5), 0.25, 0 at times 2, 3, 5, 6.
  SurvivalData d;
  d.time = {2, 3, 5, 6};
  d.event = {1, 1, 1, 1};
  const KaplanMeier km = kaplan_meier(d);
  EXPECT_DOUBLE_EQ(km_quantile(km, 0.5).time, 4.0);
  EXPECT_DOUBLE_EQ(km_quantile(km, 0.6).time, 3.0);
  EXPECT_DOUBLE_EQ(km_quantile(km, 0.75).time, 2.5);  // exact 0.75 on [2, 3)
  EXPECT_TRUE(std::isnan(km_quantile(km, -0.1).time));
}

TEST(SurvivalData, LoaderDropsMissingRowsAndReportsErrors) {
  iotcensus::testing::TempDir dir;
  {
    std::ofstream out(dir.file("ok.csv"));
    out << "\"t\",\"e\",\"g\"\n1,1,\"a\"\nNA,1,\"a\"\n2,,\"b\"\n3,0,\"b\"\n4,1,NA\n";
  }
  auto ok = load_survival_csv(dir.file("ok.csv"), {"t", "e", "", "g"});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_EQ(ok->dropped_rows, 3u);
  EXPECT_EQ(ok->group_labels(), (std::vector<std::string>{"a", "b"}));
  {
    std::ofstream out(dir.file("bad.csv"));
    out << "t,e,s\n1,1,0\n2,x,0\n";
  }
  auto bad = load_survival_csv(dir.file("bad.csv"), {"t", "e", "", ""});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::kUsage);
  EXPECT_NE(bad.error().message.find("bad.csv"), std::string::npos);
  EXPECT_NE(bad.error().message.find("'e'"), std::string::npos);
  EXPECT_NE(bad.error().message.find("line 3"), std::string::npos);
  auto no_col = load_survival_csv(dir.file("bad.csv"), {"t", "status", "", ""});
  ASSERT_FALSE(no_col);
  EXPECT_NE(no_col.error().message.find("'status'"), std::string::npos);
  auto late = load_survival_csv(dir.file("bad.csv"), {"s", "t", "e", ""});  // entry 1 >= time 0
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("line 2"), std::string::npos);
  auto missing = load_survival_csv(dir.file("nope.csv"), {"t", "e", "", ""});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::kIo);
}

// Left truncation: lung with entry = floor(0.3 * time) + 0.5 for every third row (half-integer
// entries never tie with the integer times), against survfit(Surv(entry, time, event) ~ 1).
TEST(KaplanMeier, LeftTruncatedMatchesLiveR) {
  ASSERT_TRUE(iotcensus::testing::has_tool("Rscript"))
      << "Rscript is required (scripts/setup installs r-base-core and r-cran-survival)";
  SurvivalData lung = load(kDataSets[0]);
  lung.entry.assign(lung.size(), 0.0);
  for (std::size_t i = 0; i < lung.size(); i += 3)
    lung.entry[i] = std::floor(0.3 * lung.time[i]) + 0.5;
  ASSERT_TRUE(validate(lung));
  iotcensus::testing::TempDir dir;
  {
    std::ofstream out(dir.file("lung_truncated.csv"));
    out << "entry,time,event\n";
    char buf[128];
    for (std::size_t i = 0; i < lung.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.17g,%.17g,%d\n", lung.entry[i], lung.time[i],
                    static_cast<int>(lung.event[i]));
      out << buf;
    }
  }
  {
    std::ofstream out(dir.file("km.R"));
    out << "suppressMessages(library(survival))\n"
           "d <- read.csv('"
        << dir.file("lung_truncated.csv")
        << "')\n"
           "f1 <- survfit(Surv(entry, time, event) ~ 1, data = d, conf.type = 'log')\n"
           "f2 <- survfit(Surv(entry, time, event) ~ 1, data = d, conf.type = 'log-log')\n"
           "m <- cbind(f1$time, f1$n.risk, f1$n.event, f1$n.censor, f1$surv, f1$std.err,\n"
           "           f1$lower, f1$upper, f2$lower, f2$upper, f1$cumhaz, f1$std.chaz)\n"
           "cat('time,n_risk,n_event,n_censor,surv,se_log_surv,lower_log,upper_log,'\n"
           "    , 'lower_loglog,upper_loglog,cumhaz,se_cumhaz\\n', sep = '')\n"
           "for (i in seq_len(nrow(m))) cat(paste(sprintf('%.17g', m[i, ]), collapse = ','), "
           "'\\n', sep = '')\n"
           "q1 <- quantile(f1, 0.5); q2 <- quantile(f2, 0.5)\n"
           "cat('median,', sprintf('%.17g', c(q1$quantile, q1$lower, q1$upper, q2$lower, "
           "q2$upper)), sep = ',')\n"
           "cat('\\n')\n";
  }
  const auto r = iotcensus::testing::run("Rscript " + iotcensus::testing::quote(dir.file("km.R")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string table_text, median_line;
  for (const auto& line : iotcensus::testing::lines(r.out)) {
    if (line.rfind("median,", 0) == 0)
      median_line = line;
    else
      table_text += line + "\n";
  }
  const Table want = parse_table(table_text);
  const KaplanMeier km = kaplan_meier(lung);
  ASSERT_EQ(km.rows.size(), want.cells.size());
  int truncated_rows = 0;  // rows where truncation changes the risk set
  for (std::size_t i = 0; i < km.rows.size(); ++i) {
    const KaplanMeierRow& row = km.rows[i];
    const std::string where = "truncated lung row " + std::to_string(i);
    EXPECT_EQ(row.time, want.number(i, "time")) << where;
    EXPECT_EQ(row.n_risk, static_cast<int64_t>(want.number(i, "n_risk"))) << where;
    EXPECT_EQ(row.n_event, static_cast<int64_t>(want.number(i, "n_event"))) << where;
    if (row.n_risk != static_cast<int64_t>(lung.size() - i)) ++truncated_rows;
    check("trunc surv", where, row.surv, want.number(i, "surv"), kTolerance);
    check("trunc se_log", where, row.se_log_surv, want.number(i, "se_log_surv"), kTolerance);
    check("trunc lower_log", where, row.lower_log, want.number(i, "lower_log"), kTolerance);
    check("trunc upper_log", where, row.upper_log, want.number(i, "upper_log"), kTolerance);
    check("trunc lower_ll", where, row.lower_loglog, want.number(i, "lower_loglog"), kTolerance);
    check("trunc upper_ll", where, row.upper_loglog, want.number(i, "upper_loglog"), kTolerance);
    check("trunc cumhaz", where, row.cumhaz, want.number(i, "cumhaz"), kTolerance);
    check("trunc se_cumhaz", where, row.se_cumhaz, want.number(i, "se_cumhaz"), kTolerance);
  }
  EXPECT_GT(truncated_rows, 10);
  const auto med = split_unquote(median_line);
  ASSERT_EQ(med.size(), 7u) << median_line;  // "median", "", then five numbers
  const SurvivalQuantile q = km_quantile(km, 0.5);
  const double got[] = {q.time, q.lower_log, q.upper_log, q.lower_loglog, q.upper_loglog};
  for (int k = 0; k < 5; ++k) {
    const double w = med[2 + k] == "NA" ? NAN : std::strtod(med[2 + k].c_str(), nullptr);
    if (std::isnan(w))
      EXPECT_TRUE(std::isnan(got[k])) << k;
    else
      EXPECT_DOUBLE_EQ(got[k], w) << "median column " << k;
  }
}

}  // namespace
}  // namespace iotcensus::analyze
