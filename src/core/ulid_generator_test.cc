// Copyright idgen authors.
#include "idgen/ulid_generator.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "idgen/clock.h"
#include "idgen/id128.h"
#include "idgen/random.h"

namespace idgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kStartMs = 1'700'000'000'123;

// Deterministic RandomSource: scripted bytes first, then either a constant byte or
// a splitmix64 stream.
class FakeRandom final : public RandomSource {
 public:
  explicit FakeRandom(uint64_t seed = 1) : state_(seed) {}

  void Fill(absl::Span<uint8_t> out) override {
    idgen::MutexLock lock(&mu_);
    for (uint8_t& b : out) {
      if (!script_.empty()) {
        b = script_.front();
        script_.pop_front();
      } else if (constant_.has_value()) {
        b = *constant_;
      } else {
        b = static_cast<uint8_t>(SplitMix64());
      }
    }
  }

  void Script(std::initializer_list<uint8_t> bytes) {
    idgen::MutexLock lock(&mu_);
    script_.insert(script_.end(), bytes.begin(), bytes.end());
  }
  void SetConstant(uint8_t b) {
    idgen::MutexLock lock(&mu_);
    constant_ = b;
  }

 private:
  uint64_t SplitMix64() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
    return z ^ (z >> 31);
  }

  idgen::Mutex mu_;
  uint64_t state_ ABSL_GUARDED_BY(mu_);
  std::deque<uint8_t> script_ ABSL_GUARDED_BY(mu_);
  std::optional<uint8_t> constant_ ABSL_GUARDED_BY(mu_);
};

Id128 MustNext(UlidGenerator& gen) {
  absl::StatusOr<Id128> id = gen.Next();
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : Id128{};
}

std::vector<uint8_t> RandomPart(const Id128& id) { return {id.begin() + 6, id.end()}; }

class UlidGeneratorTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixMillis(kStartMs)};
  FakeRandom random_;
  UlidGenerator gen_{&clock_, &random_};
};

TEST_F(UlidGeneratorTest, TimestampIsClockMillisAndRandomPartIsDrawn) {
  random_.Script({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const Id128 id = MustNext(gen_);
  EXPECT_EQ(UlidUnixMillis(id), kStartMs);
  EXPECT_THAT(RandomPart(id), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  clock_.Advance(absl::Milliseconds(7));
  EXPECT_EQ(UlidUnixMillis(MustNext(gen_)), kStartMs + 7);
}

TEST_F(UlidGeneratorTest, StrictlyIncreasingOver100kInOneMillisecond) {
  Id128 prev = MustNext(gen_);
  std::string prev_text = FormatUlid(prev);
  for (int i = 0; i < 100'000; ++i) {
    const Id128 id = MustNext(gen_);
    const std::string text = FormatUlid(id);
    ASSERT_LT(prev, id);
    ASSERT_LT(prev_text, text);
    ASSERT_EQ(UlidUnixMillis(id), kStartMs);
    prev = id;
    prev_text = text;
  }
}

TEST_F(UlidGeneratorTest, IncrementsWithinMillisecondAndRedrawsOnTheNext) {
  random_.Script({0, 0, 0, 0, 0, 0, 0, 0, 0, 41});
  MustNext(gen_);
  EXPECT_THAT(RandomPart(MustNext(gen_)), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0, 0, 42));
  clock_.Advance(absl::Milliseconds(1));
  random_.Script({9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
  EXPECT_THAT(RandomPart(MustNext(gen_)), ElementsAre(9, 9, 9, 9, 9, 9, 9, 9, 9, 9));
}

TEST_F(UlidGeneratorTest, IncrementCarriesAcrossBytes) {
  random_.Script({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0xFF, 0xFF});
  MustNext(gen_);
  EXPECT_THAT(RandomPart(MustNext(gen_)),
              ElementsAre(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13, 0x00, 0x00));

  clock_.Advance(absl::Milliseconds(1));
  random_.Script({0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  MustNext(gen_);
  EXPECT_THAT(RandomPart(MustNext(gen_)),
              ElementsAre(0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00));
}

TEST_F(UlidGeneratorTest, RandomOverflowAdvancesTimestamp) {
  random_.SetConstant(0xFF);
  const Id128 first = MustNext(gen_);
  EXPECT_EQ(UlidUnixMillis(first), kStartMs);
  const Id128 second = MustNext(gen_);
  EXPECT_EQ(UlidUnixMillis(second), kStartMs + 1);
  EXPECT_LT(first, second);
  EXPECT_LT(FormatUlid(first), FormatUlid(second));
  // Fresh random bits for the borrowed millisecond (all 0xFF again here).
  EXPECT_THAT(RandomPart(second),
              ElementsAre(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));
  EXPECT_EQ(clock_.SleepCalls(), 0);
}

TEST_F(UlidGeneratorTest, KeepsLastTimestampWhenClockStepsBack) {
  Id128 prev = MustNext(gen_);
  clock_.StepWall(-absl::Milliseconds(250));
  for (int i = 0; i < 100; ++i) {
    const Id128 id = MustNext(gen_);
    ASSERT_LT(prev, id);
    ASSERT_EQ(UlidUnixMillis(id), kStartMs);
    prev = id;
  }
  clock_.StepWall(absl::Milliseconds(251));
  const Id128 after = MustNext(gen_);
  EXPECT_LT(prev, after);
  EXPECT_EQ(UlidUnixMillis(after), kStartMs + 1);
}

TEST_F(UlidGeneratorTest, NextBatchContinuesTheSequence) {
  const Id128 first = MustNext(gen_);
  std::vector<Id128> batch(1000);
  ASSERT_TRUE(gen_.NextBatch(absl::MakeSpan(batch)).ok());
  Id128 prev = first;
  for (const Id128& id : batch) {
    ASSERT_LT(prev, id);
    prev = id;
  }
  EXPECT_LT(prev, MustNext(gen_));
}

TEST_F(UlidGeneratorTest, ConcurrentCallersGetUniqueOrderedIds) {
  constexpr size_t kThreads = 4;
  constexpr size_t kPerThread = 10'000;
  std::vector<std::vector<Id128>> got(kThreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kPerThread; ++i) {
        got[t].push_back(*gen_.Next());
        if (i % 1000 == 0) clock_.Advance(absl::Milliseconds(1));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<Id128> all;
  for (const auto& ids : got) {
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), kThreads * kPerThread);
}

TEST(UlidGeneratorLimitsTest, FailsOnlyPast48BitTimestamp) {
  FakeClock clock(absl::FromUnixMillis(kMaxUnixMillis48));
  FakeRandom random;
  random.SetConstant(0xFF);
  UlidGenerator gen(&clock, &random);
  EXPECT_EQ(UlidUnixMillis(MustNext(gen)), kMaxUnixMillis48);
  absl::StatusOr<Id128> id = gen.Next();  // Random part exhausted at the last ms.
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(id.status().message(),
              HasSubstr("ULID timestamp 281474976710656 ms exceeds the 48-bit field"));

  clock.Advance(absl::Milliseconds(1));
  std::vector<Id128> batch(2);
  EXPECT_EQ(gen.NextBatch(absl::MakeSpan(batch)).code(), absl::StatusCode::kOutOfRange);
}

TEST(UlidGeneratorLimitsTest, ClockBefore1970ReadsAsEpoch) {
  FakeClock clock(absl::FromUnixMillis(-1));
  FakeRandom random;
  UlidGenerator gen(&clock, &random);
  EXPECT_EQ(UlidUnixMillis(MustNext(gen)), 0);
}

TEST(UlidTextTest, KnownVectors) {
  // The example ULID of the spec's README.
  absl::StatusOr<Id128> id = ParseUlid("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(UlidUnixMillis(*id), 1469922850259);
  EXPECT_EQ(FormatUlid(*id), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  // The decodeTime() example of the reference JavaScript implementation.
  id = ParseUlid("01ARYZ6S41TSV4RRFFQ69G5FAV");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(UlidUnixMillis(*id), 1469918176385);
  EXPECT_EQ(FormatUlid(*id), "01ARYZ6S41TSV4RRFFQ69G5FAV");
}

TEST(UlidTextTest, Extremes) {
  Id128 zero{};
  Id128 max;
  max.fill(0xFF);
  EXPECT_EQ(FormatUlid(zero), "00000000000000000000000000");
  EXPECT_EQ(FormatUlid(max), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  EXPECT_EQ(*ParseUlid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"), max);
  EXPECT_EQ(*ParseUlid("00000000000000000000000000"), zero);
  Id128 one{};
  one[15] = 1;
  EXPECT_EQ(FormatUlid(one), "00000000000000000000000001");
  Id128 top{};
  top[0] = 0x80;
  EXPECT_EQ(FormatUlid(top), "40000000000000000000000000");
}

TEST(UlidTextTest, FormatAndParseRoundTrip) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 10'000; ++i) {
    Id128 id;
    for (uint8_t& b : id) b = static_cast<uint8_t>(rng());
    const std::string text = FormatUlid(id);
    ASSERT_EQ(text.size(), 26u);
    absl::StatusOr<Id128> parsed = ParseUlid(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(*parsed, id);
    parsed = ParseUlid(absl::AsciiStrToLower(text));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(*parsed, id);
  }
}

TEST(UlidTextTest, ParseAcceptsCrockfordAliases) {
  const Id128 want = *ParseUlid("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_EQ(*ParseUlid("OIARZ3NDEKTSV4RRFFQ69G5FAV"), want);
  EXPECT_EQ(*ParseUlid("olarz3ndektsv4rrffq69g5fav"), want);
}

TEST(UlidTextTest, ParseErrorsSayWhatIsWrong) {
  auto error = [](std::string_view text) {
    absl::StatusOr<Id128> id = ParseUlid(text);
    EXPECT_FALSE(id.ok()) << text;
    if (id.ok()) return std::string();
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(id.status().message());
  };
  EXPECT_EQ(error(""), "empty ULID");
  EXPECT_EQ(error("01ARZ3NDEKTSV4RRFFQ69G5FA"),
            "ULID \"01ARZ3NDEKTSV4RRFFQ69G5FA\" has 25 characters; expected 26");
  EXPECT_THAT(error("01ARZ3NDEKTSV4RRFFQ69G5FAVX"), HasSubstr("has 27 characters; expected 26"));
  EXPECT_EQ(error("01URZ3NDEKTSV4RRFFQ69G5FAV"),
            "invalid character 'U' at position 3 in ULID \"01URZ3NDEKTSV4RRFFQ69G5FAV\"");
  EXPECT_THAT(error("01ARZ3NDEK-SV4RRFFQ69G5FAV"),
              HasSubstr("invalid character '-' at position 11"));
  EXPECT_EQ(error("81ARZ3NDEKTSV4RRFFQ69G5FAV"),
            "ULID \"81ARZ3NDEKTSV4RRFFQ69G5FAV\" overflows 128 bits: first character must be "
            "0-7, found '8'");
  EXPECT_THAT(error("ZZZZZZZZZZZZZZZZZZZZZZZZZZ"), HasSubstr("overflows 128 bits"));
  // A bad character is reported even when the first one overflows.
  EXPECT_THAT(error("8ZZZZZZZZZZZZZZZZZZZZZZZZU"),
              HasSubstr("invalid character 'U' at position 26"));
}

}  // namespace
}  // namespace idgen
