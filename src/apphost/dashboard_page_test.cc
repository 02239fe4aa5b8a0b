// Copyright idgen authors.
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "src/apphost/dashboard.h"

namespace idgen::apphost {
namespace {

TEST(DashboardPageTest, IsTheHtmlFileByteForByte) {
  std::ifstream in(IDGEN_DASHBOARD_HTML_FILE, std::ios::binary);
  ASSERT_TRUE(in) << IDGEN_DASHBOARD_HTML_FILE;
  std::ostringstream file;
  file << in.rdbuf();
  EXPECT_EQ(DashboardPage(), file.str());
  EXPECT_EQ(DashboardPage().rfind("<!doctype html>\n", 0), 0u);
}

}  // namespace
}  // namespace idgen::apphost
