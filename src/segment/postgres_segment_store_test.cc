// Copyright idgen authors.
//
// What needs no server: the URL check and the masking of passwords. The
// store against a real PostgreSQL is tested black-box (tests/node).
#include "src/segment/postgres_segment_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "idgen/clock.h"

namespace idgen::segment {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PostgresSegmentStoreTest, MasksThePasswordOfAUrl) {
  EXPECT_EQ(
      PostgresSegmentStore::MaskedUrl("postgresql://idgen:s3cret@db:5432/ids?sslmode=verify-full"),
      "postgresql://idgen:****@db:5432/ids?sslmode=verify-full");
  EXPECT_EQ(PostgresSegmentStore::MaskedUrl("postgres://idgen@db/ids"), "postgres://idgen@db/ids");
  EXPECT_EQ(PostgresSegmentStore::MaskedUrl("postgres://db:5432/ids"), "postgres://db:5432/ids");
  EXPECT_EQ(PostgresSegmentStore::MaskedUrl("postgres://u:p@ss@db/ids"),
            "postgres://u:****@db/ids");
  EXPECT_EQ(
      PostgresSegmentStore::MaskedUrl("postgres://db/ids?user=u&password=s3cret&sslmode=require"),
      "postgres://db/ids?user=u&password=****&sslmode=require");
  EXPECT_EQ(PostgresSegmentStore::MaskedUrl("postgres://db/ids?password=s3cret"),
            "postgres://db/ids?password=****");
}

TEST(PostgresSegmentStoreTest, MasksThePasswordOfAKeywordString) {
  const std::string masked =
      PostgresSegmentStore::MaskedUrl("host=db port=5432 password='s3 cret' dbname=ids");
  EXPECT_THAT(masked, Not(HasSubstr("s3")));
  EXPECT_THAT(masked, HasSubstr("password=****"));
  EXPECT_THAT(masked, HasSubstr("host=db"));
  EXPECT_THAT(masked, HasSubstr("dbname=ids"));
}

TEST(PostgresSegmentStoreTest, RefusesAnUnparsableUrlWithoutItsSecrets) {
  auto s =
      PostgresSegmentStore::Open("postgres://u:s3cret@db/ids?nosuchoption=1", SystemClock::Get());
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(s.status().message(), HasSubstr("nosuchoption"));
}

TEST(PostgresSegmentStoreTest, OpensWithoutConnectingAndFailsLeasesUntilTheServerAnswers) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto s = PostgresSegmentStore::Open("postgres://u:s3cret@127.0.0.1:1/ids", SystemClock::Get(),
                                      absl::Seconds(2));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->masked_url(), "postgres://u:****@127.0.0.1:1/ids");
  absl::StatusOr<SegmentRange> r = (*s)->Lease("orders", 1, 10, 100);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("postgres://u:****@127.0.0.1:1/ids"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("s3cret")));
  EXPECT_EQ((*s)->GiveBack("orders", {1, 11}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace idgen::segment
