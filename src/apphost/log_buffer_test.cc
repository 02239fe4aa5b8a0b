// Copyright idgen authors.
#include "src/apphost/log_buffer.h"

#include "gtest/gtest.h"

namespace idgen::apphost {
namespace {

TEST(LogBufferTest, SplitsLinesPerStreamAndKeepsPartialsApart) {
  LogBuffer log;
  log.Write("stdout", "hello wo", 1);
  log.Write("stderr", "oops\n", 2);
  log.Write("stdout", "rld\r\nsecond\n", 3);
  std::vector<LogLine> lines = log.Since(0);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].stream, "stderr");
  EXPECT_EQ(lines[0].text, "oops");
  EXPECT_EQ(lines[1].text, "hello world");
  EXPECT_EQ(lines[2].text, "second");
  EXPECT_EQ(lines[2].seq, 3);
  EXPECT_EQ(log.last_seq(), 3);
}

TEST(LogBufferTest, SinceReturnsOnlyNewerLinesAndOldOnesFallOff) {
  LogBuffer log(/*max_lines=*/3);
  for (int i = 1; i <= 5; ++i) log.AddLine("apphost", std::to_string(i), i);
  std::vector<LogLine> all = log.Since(0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.front().text, "3");
  std::vector<LogLine> newer = log.Since(4);
  ASSERT_EQ(newer.size(), 1u);
  EXPECT_EQ(newer[0].text, "5");
  EXPECT_TRUE(log.Since(5).empty());
  EXPECT_EQ(log.Since(0, /*limit=*/2).size(), 2u);
}

TEST(LogBufferTest, CutsRunawayLines) {
  LogBuffer log(10, /*max_line_bytes=*/16);
  log.Write("stdout", std::string(40, 'x'), 1);
  std::vector<LogLine> lines = log.Since(0);
  ASSERT_FALSE(lines.empty());
  EXPECT_LE(lines[0].text.size(), 16u + 3);
}

}  // namespace
}  // namespace idgen::apphost
