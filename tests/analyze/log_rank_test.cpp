// Tests the log-rank test against R's survdiff (shared/data/survival/expected_R/logrank.csv)
// and the chi-square tail it uses.
#include "analyze/log_rank.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace iotcensus::analyze {
namespace {

struct Case {
  const char* test;  // as in logrank.csv
  const char* file;
  const char* time;
  const char* event;
  const char* group;
};
constexpr Case kCases[] = {
    {"lung ~ sex", "rsurvival_lung.csv", "time", "status", "sex"},
    {"ovarian ~ rx", "rsurvival_ovarian.csv", "futime", "fustat", "rx"},
    {"veteran ~ trt", "rsurvival_veteran.csv", "time", "status", "trt"},
    {"aml ~ x", "rsurvival_aml.csv", "time", "status", "x"},
    {"waltons ~ group", "lifelines_waltons_dataset.csv", "T", "E", "group"},
    {"rossi ~ fin", "lifelines_rossi.csv", "week", "arrest", "fin"},
};

TEST(LogRank, MatchesSurvdiff) {
  const std::string dir = iotcensus::testing::shared_data() + "/survival";
  std::ifstream in(dir + "/expected_R/logrank.csv");
  ASSERT_TRUE(in);
  std::string line;
  std::getline(in, line);
  int compared = 0;
  double worst_chi = 0, worst_p = 0;
  while (std::getline(in, line)) {
    const auto close = line.find('"', 1);
    ASSERT_NE(close, std::string::npos);
    const std::string name = line.substr(1, close - 1);
    double chisq = 0, p = 0;
    int df = 0;
    ASSERT_EQ(std::sscanf(line.c_str() + close + 1, ",%lf,%d,%lf", &chisq, &df, &p), 3) << line;
    const Case* c = nullptr;
    for (const Case& k : kCases) {
      if (name == k.test) c = &k;
    }
    ASSERT_NE(c, nullptr) << name;
    auto data = load_survival_csv(dir + "/" + c->file, {c->time, c->event, "", c->group});
    ASSERT_TRUE(data) << data.error().message;
    auto result = log_rank(*data);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->df, df) << name;
    const double e_chi = std::fabs(result->chi_square - chisq) / chisq;
    const double e_p = std::fabs(result->p_value - p) / p;
    worst_chi = std::max(worst_chi, e_chi);
    worst_p = std::max(worst_p, e_p);
    EXPECT_LE(e_chi, 1e-6) << name << ": " << result->chi_square << " vs R " << chisq;
    EXPECT_LE(e_p, 1e-6) << name << ": " << result->p_value << " vs R " << p;
    double observed = 0, expected = 0;
    for (std::size_t g = 0; g < result->groups.size(); ++g) {
      observed += result->observed[g];
      expected += result->expected[g];
    }
    EXPECT_NEAR(observed, expected, 1e-9 * observed) << name;
    ++compared;
  }
  EXPECT_EQ(compared, 6);
  std::printf("worst relative error chi_square %.3g, p %.3g\n", worst_chi, worst_p);
}

TEST(LogRank, ThreeGroupsAndErrors) {
  // veteran ~ celltype: four groups, df 3. R: survdiff(Surv(time, status) ~ celltype, veteran)
  // gives chisq = 25.40370035 on 3 df.
  const std::string dir = iotcensus::testing::shared_data() + "/survival";
  auto data = load_survival_csv(dir + "/rsurvival_veteran.csv", {"time", "status", "", "celltype"});
  ASSERT_TRUE(data);
  auto result = log_rank(*data);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->df, 3);
  EXPECT_NEAR(result->chi_square, 25.40370035, 1e-7);
  auto ungrouped = load_survival_csv(dir + "/rsurvival_veteran.csv", {"time", "status", "", ""});
  ASSERT_TRUE(ungrouped);
  EXPECT_FALSE(log_rank(*ungrouped));
}

TEST(ChiSquare, UpperTailKnownValues) {
  EXPECT_NEAR(chi_square_upper_tail(3.841458820694124, 1), 0.05, 1e-15);
  EXPECT_NEAR(chi_square_upper_tail(5.991464547107979, 2), 0.05, 1e-14);
  EXPECT_NEAR(chi_square_upper_tail(7.814727903251178, 3), 0.05, 1e-14);
  EXPECT_NEAR(chi_square_upper_tail(1.0, 5), 0.9625657732472964, 1e-14);
  EXPECT_NEAR(chi_square_upper_tail(30.0, 4) / 4.894437128e-06, 1.0, 1e-6);
}

}  // namespace
}  // namespace iotcensus::analyze
