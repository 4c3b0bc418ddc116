// The survival data sets of ../shared/data/survival with the columns R used for expected_R,
// and a reader for R's CSV tables (quoted names, NA), shared by the survival tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace iotcensus::testing {

// A data set of shared/data/survival and the file and columns it comes from.
struct DataSet {
  const char* name;
  const char* file;
  const char* time;
  const char* event;
};
constexpr DataSet kDataSets[] = {
    {"lung", "rsurvival_lung.csv", "time", "status"},
    {"ovarian", "rsurvival_ovarian.csv", "futime", "fustat"},
    {"veteran", "rsurvival_veteran.csv", "time", "status"},
    {"aml", "rsurvival_aml.csv", "time", "status"},
    {"waltons", "lifelines_waltons_dataset.csv", "T", "E"},
    {"rossi", "lifelines_rossi.csv", "week", "arrest"},
    {"kidney_transplant", "lifelines_kidney_transplant.csv", "time", "death"},
    {"larynx", "lifelines_larynx.csv", "time", "death"},
};

inline std::string survival_dir() {
  return shared_data() + "/survival";
}

// A CSV table of numbers by column name; NA -> NaN, Inf -> inf; strings kept too.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> cells;
  std::size_t column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
  }
  double number(std::size_t row, const std::string& name) const {
    const std::string& s = cells[row][column(name)];
    if (s == "NA" || s.empty()) return NAN;
    return std::strtod(s.c_str(), nullptr);
  }
};

inline std::vector<std::string> split_unquote(const std::string& line) {
  std::vector<std::string> out;
  for (std::string f : split(line, ',')) {
    if (!f.empty() && f.back() == '\r') f.pop_back();
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    out.push_back(f);
  }
  return out;
}

inline Table parse_table(const std::string& text) {
  Table t;
  const auto rows = lines(text);
  for (const auto& row : rows) {
    if (row.empty()) continue;
    if (t.header.empty())
      t.header = split_unquote(row);
    else
      t.cells.push_back(split_unquote(row));
  }
  return t;
}

inline Table read_table(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_table(ss.str());
}

}  // namespace iotcensus::testing
