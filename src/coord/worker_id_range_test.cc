// Copyright idgen authors.
#include "src/coord/worker_id_range.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/coord/file_lease_provider.h"
#include "src/coord/worker_id_pin.h"
#include "src/testing/temp_dir.h"

namespace idgen::coord {
namespace {

using ::testing::HasSubstr;

TEST(WorkerIdRangeTest, ParsesLoHiInclusive) {
  absl::StatusOr<WorkerIdRange> r = ParseWorkerIdRange("512-1023");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->lo, 512);
  EXPECT_EQ(r->hi, 1023);
  EXPECT_EQ(r->size(), 512);
  EXPECT_EQ(r->ToString(), "512-1023");
  EXPECT_TRUE(r->Contains(512));
  EXPECT_TRUE(r->Contains(1023));
  EXPECT_FALSE(r->Contains(511));
  absl::StatusOr<WorkerIdRange> one = ParseWorkerIdRange("7-7");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1);
}

TEST(WorkerIdRangeTest, MalformedTextNamesTheFlag) {
  for (const char* bad : {"", "5", "1-2-3", "-5", "a-b", "1 -2", "+1-2", "0x1-2", "1-"}) {
    absl::StatusOr<WorkerIdRange> r = ParseWorkerIdRange(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("--worker-ids"));
    EXPECT_THAT(r.status().message(), HasSubstr("expected LO-HI"));
  }
}

TEST(WorkerIdRangeTest, EmptyRangeIsRefused) {
  absl::StatusOr<WorkerIdRange> r = ParseWorkerIdRange("600-500");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("--worker-ids 600-500 is empty"));
}

TEST(WorkerIdRangeTest, RangeBeyondTheLayoutIsRefused) {
  EXPECT_TRUE(CheckWorkerIdRange({512, 1023}, 1024).ok());
  absl::Status s = CheckWorkerIdRange({512, 1024}, 1024);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--worker-ids 512-1024 does not fit the layout"));
  EXPECT_THAT(s.message(), HasSubstr("worker ids 0-1023"));
}

TEST(WorkerIdRangeTest, AcquireOptionsWithALowestIdOutsideTheSpaceAreRefused) {
  EXPECT_FALSE(ValidateAcquireOptions({.min_worker = 8, .max_workers = 8}).ok());
  EXPECT_FALSE(ValidateAcquireOptions({.min_worker = -1, .max_workers = 8}).ok());
  absl::Status s = ValidateAcquireOptions({.worker_id = 3, .min_worker = 4, .max_workers = 8});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("worker id 3 is out of range 4..7 allowed by --worker-ids"));
}

TEST(WorkerIdRangeTest, FileLeasesStayInsideTheRange) {
  ::idgen::testing::TempDir dir{"idgen-range-test-"};
  auto provider = FileLeaseProvider::Create(dir.path());
  ASSERT_TRUE(provider.ok()) << provider.status();
  std::vector<std::unique_ptr<WorkerLease>> leases;
  std::set<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto lease = (*provider)->Acquire({.min_worker = 4, .max_workers = 7});
    ASSERT_TRUE(lease.ok()) << lease.status();
    ids.insert((*lease)->worker_id());
    leases.push_back(*std::move(lease));
  }
  EXPECT_EQ(ids, (std::set<int64_t>{4, 5, 6}));
  auto fourth = (*provider)->Acquire({.min_worker = 4, .max_workers = 7});
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(fourth.status().message(), HasSubstr("(4-6) are held"));
}

TEST(WorkerIdPinTest, FirstRangeIsRecordedAndOthersAreRefused) {
  ::idgen::testing::TempDir dir{"idgen-pin-test-"};
  const std::string path = dir.path() + "/worker-ids";
  // No range, nothing recorded: nothing written.
  ASSERT_TRUE(PinWorkerIdsInDir(dir.path(), std::nullopt).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_TRUE(PinWorkerIdsInDir(dir.path(), WorkerIdRange{0, 511}).ok());
  ASSERT_TRUE(PinWorkerIdsInDir(dir.path(), WorkerIdRange{0, 511}).ok());
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "0-511");

  absl::Status overlap = PinWorkerIdsInDir(dir.path(), WorkerIdRange{256, 767});
  EXPECT_EQ(overlap.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(overlap.message(), HasSubstr("--worker-ids 256-767 differs from 0-511"));
  absl::Status none = PinWorkerIdsInDir(dir.path(), std::nullopt);
  EXPECT_EQ(none.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.message(), HasSubstr("start this node with --worker-ids 0-511"));
}

TEST(WorkerIdPinTest, AGarbledRecordIsDataLossNotAGuess) {
  EXPECT_EQ(CompareWithPinnedRange(WorkerIdRange{0, 1}, "zero-one", "f").code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(CompareWithPinnedRange(std::nullopt, "  \n", "f").ok());
}

}  // namespace
}  // namespace idgen::coord
