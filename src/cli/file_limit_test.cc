// Copyright idgen authors.
#include "src/cli/file_limit.h"

#include "gtest/gtest.h"

namespace idgen::cli {
namespace {

TEST(FileLimitTest, DefaultCapLeavesAReserve) {
  EXPECT_EQ(DefaultMaxConnections(1024), 1024u - 128u);
  EXPECT_EQ(DefaultMaxConnections(1'048'576), 1'048'576u - 104'857u);
  EXPECT_EQ(DefaultMaxConnections(200), 100u);
  EXPECT_EQ(DefaultMaxConnections(1), 1u);
  EXPECT_EQ(DefaultMaxConnections(0), 1u);
}

TEST(FileLimitTest, RaiseReachesTheHardLimitAndKeepsIt) {
  const uint64_t raised = RaiseFileLimit();
  EXPECT_GT(raised, 0u);
  EXPECT_EQ(FileLimit(), raised);
  EXPECT_EQ(RaiseFileLimit(), raised);
}

}  // namespace
}  // namespace idgen::cli
