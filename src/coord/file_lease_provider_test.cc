// Copyright idgen authors.
#include "src/coord/file_lease_provider.h"
#include "src/testing/temp_dir.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen::coord {
namespace {

using ::testing::HasSubstr;

class FileLeaseProviderTest : public ::testing::Test {
 protected:
  ::idgen::testing::TempDir dir_{"idgen-lease-test-"};  // first: destroyed last

  void SetUp() override {
    auto p = FileLeaseProvider::Create(dir_.path());
    ASSERT_TRUE(p.ok()) << p.status();
    provider_ = std::move(*p);
  }

  std::unique_ptr<FileLeaseProvider> provider_;
};

TEST_F(FileLeaseProviderTest, TwoLeasesOnOneDirGetDifferentIds) {
  auto a = provider_->Acquire({});
  auto b = provider_->Acquire({});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*a)->worker_id(), 0);
  EXPECT_EQ((*b)->worker_id(), 1);
}

TEST_F(FileLeaseProviderTest, RequestedIdThatIsTakenFailsClearly) {
  auto a = provider_->Acquire({.worker_id = 5, .node_name = "first"});
  ASSERT_TRUE(a.ok());
  auto b = provider_->Acquire({.worker_id = 5});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(b.status().message(), HasSubstr("worker id 5 is already held"));
  EXPECT_THAT(b.status().message(), HasSubstr("node=first"));
}

TEST_F(FileLeaseProviderTest, ReleaseFreesTheIdAtOnce) {
  auto a = provider_->Acquire({.worker_id = 2});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Release().ok());
  EXPECT_FALSE((*a)->Held());
  EXPECT_EQ((*a)->Reserve(123).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(provider_->Acquire({.worker_id = 2}).ok());
}

TEST_F(FileLeaseProviderTest, AllIdsTakenIsResourceExhausted) {
  auto a = provider_->Acquire({.max_workers = 2});
  auto b = provider_->Acquire({.max_workers = 2});
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = provider_->Acquire({.max_workers = 2});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.status().message(), HasSubstr("all 2 worker ids"));
}

TEST_F(FileLeaseProviderTest, OutOfRangeRequestIsInvalid) {
  auto a = provider_->Acquire({.worker_id = 64, .max_workers = 64});
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(a.status().message(), HasSubstr("out of range 0..63"));
}

TEST_F(FileLeaseProviderTest, NextHolderStartsAboveTheStoredReservation) {
  {
    auto a = provider_->Acquire({.worker_id = 3});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ((*a)->floor_unix_ms(), 0);
    ASSERT_TRUE((*a)->Reserve(1'000).ok());
    ASSERT_TRUE((*a)->Reserve(900).ok());  // lower: no-op
    EXPECT_EQ((*a)->reserved_unix_ms(), 1'000);
  }  // destructor releases
  auto b = provider_->Acquire({.worker_id = 3});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->floor_unix_ms(), 1'000);
  auto stored = ReadReservationFile(provider_->workers_dir() + "/3.reservation");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, 1'000);
}

TEST_F(FileLeaseProviderTest, SettleLowersTheReservationButNotBelowTheFloor) {
  {
    auto a = provider_->Acquire({.worker_id = 6});
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->Reserve(5'000).ok());
  }
  auto b = provider_->Acquire({.worker_id = 6});
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Reserve(9'000).ok());
  EXPECT_EQ((*b)->Settle(4'999).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*b)->Settle(6'000).ok());
  ASSERT_TRUE((*b)->Release().ok());
  EXPECT_EQ((*b)->Settle(7'000).code(), absl::StatusCode::kFailedPrecondition);
  auto c = provider_->Acquire({.worker_id = 6});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->floor_unix_ms(), 6'000);
}

TEST_F(FileLeaseProviderTest, KilledHolderFreesTheIdButKeepsItsReservation) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto p = FileLeaseProvider::Create(dir_.path());
    auto lease = (*p)->Acquire({.worker_id = 0});
    if (!lease.ok() || !(*lease)->Reserve(77'000).ok()) ::_exit(1);
    (void)!::write(ready[1], "x", 1);
    ::pause();  // until SIGKILL
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_EQ(provider_->Acquire({.worker_id = 0}).status().code(), absl::StatusCode::kAlreadyExists);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto lease = provider_->Acquire({.worker_id = 0});
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ((*lease)->floor_unix_ms(), 77'000);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(FileLeaseProviderTest, CorruptReservationRefusesToGuess) {
  std::ofstream(provider_->workers_dir() + "/4.reservation") << "garbage";
  auto a = provider_->Acquire({.worker_id = 4});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(a.status().message(), HasSubstr("corrupt"));
  // The failed attempt must not keep the id locked.
  std::filesystem::remove(provider_->workers_dir() + "/4.reservation");
  EXPECT_TRUE(provider_->Acquire({.worker_id = 4}).ok());
}

TEST(FileLeaseProviderCreateTest, UnwritableStateDirIsAClearError) {
  auto p = FileLeaseProvider::Create("/proc/idgen-cannot-exist");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("/proc/idgen-cannot-exist"));
  EXPECT_FALSE(FileLeaseProvider::Create("").ok());
}

}  // namespace
}  // namespace idgen::coord
