// Copyright idgen authors.
#include "src/segment/sqlite_segment_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <thread>
#include <vector>

#include "src/testing/temp_dir.h"

namespace idgen::segment {
namespace {

using ::testing::HasSubstr;

class SqliteSegmentStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteSegmentStore> Open() {
    auto s = SqliteSegmentStore::Open(path_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  idgen::testing::TempDir dir_{"idgen-sqlite-segment-"};
  std::string path_ = dir_.path() + "/segments.db";
};

TEST_F(SqliteSegmentStoreTest, LeasesConsecutiveRangesFromStart) {
  auto s = Open();
  EXPECT_EQ(*s->Lease("orders", 1, 1000, 1'000'000), (SegmentRange{1, 1001}));
  EXPECT_EQ(*s->Lease("orders", 1, 500, 1'000'000), (SegmentRange{1001, 1501}));
  EXPECT_EQ(*s->Lease("invoices", 100, 10, 1'000'000), (SegmentRange{100, 110}));
}

TEST_F(SqliteSegmentStoreTest, KeepsCountersAcrossReopen) {
  ASSERT_TRUE(Open()->Lease("orders", 1, 10, 100).ok());
  EXPECT_EQ(*Open()->Lease("orders", 1, 10, 100), (SegmentRange{11, 21}));
}

TEST_F(SqliteSegmentStoreTest, ClipsAtMaxValueThenRefuses) {
  auto s = Open();
  EXPECT_EQ(*s->Lease("c", 1, 10, 15), (SegmentRange{1, 11}));
  EXPECT_EQ(*s->Lease("c", 1, 10, 15), (SegmentRange{11, 16}));
  absl::StatusOr<SegmentRange> r = s->Lease("c", 1, 10, 15);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("max_value 15"));
}

TEST_F(SqliteSegmentStoreTest, GiveBackIsACompareAndSet) {
  auto s = Open();
  const SegmentRange a = *s->Lease("c", 1, 10, 100);
  const SegmentRange b = *s->Lease("c", 1, 10, 100);
  EXPECT_FALSE(*s->GiveBack("c", {5, a.end}));  // b was leased after a
  EXPECT_TRUE(*s->GiveBack("c", {15, b.end}));
  EXPECT_EQ(*s->Lease("c", 1, 10, 100), (SegmentRange{15, 25}));
  EXPECT_FALSE(*s->GiveBack("missing", {1, 2}));
}

TEST_F(SqliteSegmentStoreTest, TwoConnectionsRacingNeverOverlap) {
  auto a = Open();
  auto b = Open();
  std::vector<std::vector<SegmentRange>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      SqliteSegmentStore& s = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<SegmentRange> r = s.Lease("c", 1, 3, 1'000'000);
        ASSERT_TRUE(r.ok()) << r.status();
        got[t].push_back(*r);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint64_t> ids;
  for (const auto& ranges : got) {
    for (const SegmentRange& r : ranges) {
      for (uint64_t v = r.first; v < r.end; ++v) ASSERT_TRUE(ids.insert(v).second) << v;
    }
  }
  EXPECT_EQ(ids.size(), 4u * 50 * 3);
  EXPECT_EQ(*ids.rbegin(), ids.size());  // dense
}

TEST_F(SqliteSegmentStoreTest, UnopenablePathIsUnavailableNamingTheFile) {
  // A regular file where a directory should be: no one can create below it.
  const std::string file = dir_.path() + "/plain";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  absl::StatusOr<std::unique_ptr<SqliteSegmentStore>> s =
      SqliteSegmentStore::Open(file + "/segments.db");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.status().message(), HasSubstr(file + "/segments.db"));
}

}  // namespace
}  // namespace idgen::segment
