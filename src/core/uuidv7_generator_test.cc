// Copyright idgen authors.
#include "idgen/uuidv7_generator.h"

#include <sys/wait.h>
#include <unistd.h>

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

// The 42-bit counter: rand_a (12 bits) then the top 30 bits of rand_b.
uint64_t CounterOf(const Id128& id) {
  return (uint64_t{id[6] & 0x0Fu} << 38) | (uint64_t{id[7]} << 30) |
         (uint64_t{id[8] & 0x3Fu} << 24) | (uint64_t{id[9]} << 16) | (uint64_t{id[10]} << 8) |
         uint64_t{id[11]};
}

Id128 MustNext(UuidV7Generator& gen) {
  absl::StatusOr<Id128> id = gen.Next();
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : Id128{};
}

class UuidV7GeneratorTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixMillis(kStartMs)};
  FakeRandom random_;
  UuidV7Generator gen_{&clock_, &random_};
};

TEST_F(UuidV7GeneratorTest, SetsVersionAndVariantBits) {
  for (int i = 0; i < 1000; ++i) {
    const Id128 id = MustNext(gen_);
    EXPECT_EQ(id[6] >> 4, 7);
    EXPECT_EQ(id[8] >> 6, 0b10);
    EXPECT_TRUE(ValidateUuidV7(id).ok());
    if (i % 10 == 0) clock_.Advance(absl::Milliseconds(1));
  }
}

TEST_F(UuidV7GeneratorTest, TimestampFieldIsClockMillis) {
  EXPECT_EQ(UuidV7UnixMillis(MustNext(gen_)), kStartMs);
  clock_.Advance(absl::Microseconds(999));
  EXPECT_EQ(UuidV7UnixMillis(MustNext(gen_)), kStartMs);
  clock_.Advance(absl::Milliseconds(5));
  EXPECT_EQ(UuidV7UnixMillis(MustNext(gen_)), kStartMs + 5);
}

TEST_F(UuidV7GeneratorTest, StrictlyIncreasingOver100kInOneMillisecond) {
  Id128 prev = MustNext(gen_);
  std::string prev_text = FormatUuid(prev);
  for (int i = 0; i < 100'000; ++i) {
    const Id128 id = MustNext(gen_);
    const std::string text = FormatUuid(id);
    ASSERT_LT(prev, id);
    ASSERT_LT(prev_text, text);
    ASSERT_EQ(CounterOf(id), CounterOf(prev) + 1);
    ASSERT_EQ(UuidV7UnixMillis(id), kStartMs);
    prev = id;
    prev_text = text;
  }
}

TEST_F(UuidV7GeneratorTest, KeepsLastTimestampWhenClockStepsBack) {
  const Id128 before = MustNext(gen_);
  clock_.StepWall(-absl::Seconds(1));
  Id128 prev = before;
  for (int i = 0; i < 100; ++i) {
    const Id128 id = MustNext(gen_);
    ASSERT_LT(prev, id);
    ASSERT_EQ(UuidV7UnixMillis(id), kStartMs);
    prev = id;
  }
  // Once the clock passes the old timestamp, IDs follow it again.
  clock_.StepWall(absl::Seconds(1) + absl::Milliseconds(1));
  const Id128 after = MustNext(gen_);
  EXPECT_LT(prev, after);
  EXPECT_EQ(UuidV7UnixMillis(after), kStartMs + 1);
}

TEST_F(UuidV7GeneratorTest, ReseedsCounterWithTopBitClearedEachMillisecond) {
  random_.Script({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});  // Counter seed.
  random_.Script({0xA1, 0xA2, 0xA3, 0xA4});              // Tail.
  const Id128 id = MustNext(gen_);
  EXPECT_EQ(CounterOf(id), UuidV7Generator::kMaxCounter >> 1);
  EXPECT_EQ(id[6], 0x77);  // version 7, counter bits 41..38 = 0111
  EXPECT_EQ(id[7], 0xFF);
  EXPECT_EQ(id[8], 0xBF);  // variant 10, counter bits 29..24 all set
  EXPECT_EQ(id[12], 0xA1);
  EXPECT_EQ(id[15], 0xA4);

  clock_.Advance(absl::Milliseconds(1));
  random_.Script({0x01, 0x23, 0x45, 0x67, 0x89, 0xAB});
  EXPECT_EQ(CounterOf(MustNext(gen_)),
            uint64_t{0x0123456789AB} & (UuidV7Generator::kMaxCounter >> 1));
}

TEST_F(UuidV7GeneratorTest, CounterOverflowAdvancesTimestamp) {
  gen_.SetStateForTesting(kStartMs, UuidV7Generator::kMaxCounter - 1);
  const Id128 last_of_ms = MustNext(gen_);
  EXPECT_EQ(CounterOf(last_of_ms), UuidV7Generator::kMaxCounter);
  EXPECT_EQ(UuidV7UnixMillis(last_of_ms), kStartMs);

  const Id128 borrowed = MustNext(gen_);
  EXPECT_EQ(UuidV7UnixMillis(borrowed), kStartMs + 1);
  EXPECT_LT(last_of_ms, borrowed);
  // The clock is still at kStartMs: the generator stays on the borrowed ms.
  const Id128 next = MustNext(gen_);
  EXPECT_EQ(UuidV7UnixMillis(next), kStartMs + 1);
  EXPECT_EQ(CounterOf(next), CounterOf(borrowed) + 1);
  EXPECT_EQ(clock_.SleepCalls(), 0);
}

TEST_F(UuidV7GeneratorTest, NextBatchContinuesTheSequence) {
  const Id128 first = MustNext(gen_);
  std::vector<Id128> batch(1000);
  ASSERT_TRUE(gen_.NextBatch(absl::MakeSpan(batch)).ok());
  Id128 prev = first;
  for (const Id128& id : batch) {
    ASSERT_LT(prev, id);
    ASSERT_TRUE(ValidateUuidV7(id).ok());
    prev = id;
  }
  EXPECT_LT(prev, MustNext(gen_));
  EXPECT_TRUE(gen_.NextBatch({}).ok());
}

TEST_F(UuidV7GeneratorTest, ConcurrentCallersGetUniqueOrderedIds) {
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

TEST(UuidV7GeneratorLimitsTest, FailsOnlyPast48BitTimestamp) {
  FakeClock clock(absl::FromUnixMillis(kMaxUnixMillis48));
  FakeRandom random;
  UuidV7Generator gen(&clock, &random);
  EXPECT_EQ(UuidV7UnixMillis(MustNext(gen)), kMaxUnixMillis48);

  gen.SetStateForTesting(kMaxUnixMillis48, UuidV7Generator::kMaxCounter);
  absl::StatusOr<Id128> id = gen.Next();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(id.status().message(),
              HasSubstr("UUIDv7 timestamp 281474976710656 ms exceeds the 48-bit field"));

  FakeClock future(absl::FromUnixMillis(kMaxUnixMillis48 + 1));
  UuidV7Generator gen2(&future, &random);
  EXPECT_EQ(gen2.Next().status().code(), absl::StatusCode::kOutOfRange);
  std::vector<Id128> batch(3);
  EXPECT_EQ(gen2.NextBatch(absl::MakeSpan(batch)).code(), absl::StatusCode::kOutOfRange);
  // The failed calls left no state behind: a sane clock works again.
  future.SetWall(absl::FromUnixMillis(kStartMs));
  EXPECT_EQ(UuidV7UnixMillis(MustNext(gen2)), kStartMs);
}

TEST(UuidV7GeneratorLimitsTest, ClockBefore1970ReadsAsEpoch) {
  FakeClock clock(absl::FromUnixMillis(-5000));
  FakeRandom random;
  UuidV7Generator gen(&clock, &random);
  EXPECT_EQ(UuidV7UnixMillis(MustNext(gen)), 0);
}

TEST(UuidTextTest, FormatAndParseRoundTrip) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10'000; ++i) {
    Id128 id;
    for (uint8_t& b : id) b = static_cast<uint8_t>(rng());
    const std::string text = FormatUuid(id);
    ASSERT_EQ(text.size(), 36u);
    ASSERT_EQ(text, absl::AsciiStrToLower(text));
    absl::StatusOr<Id128> parsed = ParseUuid(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(*parsed, id);
    parsed = ParseUuid(absl::AsciiStrToUpper(text));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(*parsed, id);
  }
}

TEST(UuidTextTest, Rfc9562AppendixA6Example) {
  absl::StatusOr<Id128> id = ParseUuid("017F22E2-79B0-7CC3-98C4-DC0C0C07398F");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(UuidV7UnixMillis(*id), 0x017F22E279B0);
  EXPECT_TRUE(ValidateUuidV7(*id).ok());
  EXPECT_EQ(FormatUuid(*id), "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
}

TEST(UuidTextTest, ParseErrorsSayWhatIsWrong) {
  auto error = [](std::string_view text) {
    absl::StatusOr<Id128> id = ParseUuid(text);
    EXPECT_FALSE(id.ok()) << text;
    return id.ok() ? std::string() : std::string(id.status().message());
  };
  EXPECT_EQ(error(""), "empty UUID");
  EXPECT_THAT(error("017f22e2-79b0-7cc3-98c4-dc0c0c07398"),
              HasSubstr("has 35 characters; expected 36"));
  EXPECT_THAT(error("{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}"),
              HasSubstr("has 38 characters; expected 36"));
  EXPECT_THAT(
      error("017f22e2079b0-7cc3-98c4-dc0c0c07398f"),
      HasSubstr("expected '-' at position 9 in UUID \"017f22e2079b0-7cc3-98c4-dc0c0c07398f\""
                ", found '0'"));
  EXPECT_THAT(error("017f22e2-79b0-7cc3-98c4_dc0c0c07398f"),
              HasSubstr("expected '-' at position 24"));
  EXPECT_THAT(error("01gf22e2-79b0-7cc3-98c4-dc0c0c07398f"),
              HasSubstr("invalid character 'g' at position 3 in UUID \"01gf22e2-79b0-7cc3-98c4-"
                        "dc0c0c07398f\""));
  EXPECT_THAT(error(" 17f22e2-79b0-7cc3-98c4-dc0c0c07398f"),
              HasSubstr("invalid character ' ' at position 1"));
  EXPECT_THAT(error("017f22e2-79b0-7cc3-98c4-dc0c0c07398-"),
              HasSubstr("invalid character '-' at position 36"));
}

TEST(UuidTextTest, ValidateUuidV7RejectsOtherVersionsAndVariants) {
  absl::Status s = ValidateUuidV7(*ParseUuid("f47ac10b-58cc-4372-a567-0e02b2c3d479"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "UUID f47ac10b-58cc-4372-a567-0e02b2c3d479 has version 4, expected 7");
  s = ValidateUuidV7(*ParseUuid("017f22e2-79b0-7cc3-d8c4-dc0c0c07398f"));
  EXPECT_THAT(s.message(), HasSubstr("has variant bits 0b11, expected 0b10"));
  s = ValidateUuidV7(*ParseUuid("017f22e2-79b0-7cc3-18c4-dc0c0c07398f"));
  EXPECT_THAT(s.message(), HasSubstr("has variant bits 0b00, expected 0b10"));
}

// OsRandom has no test file of its own; these checks ride along here.
TEST(OsRandomTest, FillsSmallAndLargeRequests) {
  OsRandom random;
  std::array<uint8_t, 32> a{}, b{};
  random.Fill(absl::MakeSpan(a));
  random.Fill(absl::MakeSpan(b));
  EXPECT_NE(a, b);
  // Many odd-sized draws cross the 256-byte refill boundary.
  std::set<std::vector<uint8_t>> seen;
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> v(7);
    random.Fill(absl::MakeSpan(v));
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 200u);
  std::vector<uint8_t> big(1000, 0);
  random.Fill(absl::MakeSpan(big));
  EXPECT_GT(std::count_if(big.begin(), big.end(), [](uint8_t x) { return x != 0; }), 900);
  random.Fill({});  // Empty request is a no-op.
}

TEST(OsRandomTest, ForkedChildDoesNotReuseParentBuffer) {
  OsRandom random;
  std::array<uint8_t, 1> prime;
  random.Fill(absl::MakeSpan(prime));  // The buffer now holds 255 unread bytes.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::array<uint8_t, 16> child;
    random.Fill(absl::MakeSpan(child));
    const bool ok = write(fds[1], child.data(), child.size()) == ssize_t(child.size());
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::array<uint8_t, 16> parent, child{};
  random.Fill(absl::MakeSpan(parent));
  ASSERT_EQ(read(fds[0], child.data(), child.size()), ssize_t(child.size()));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_NE(parent, child);
}

TEST(OsRandomTest, RealSourcesMakeValidUuids) {
  UuidV7Generator gen(SystemClock::Get(), OsRandom::Default());
  Id128 prev = MustNext(gen);
  for (int i = 0; i < 1000; ++i) {
    const Id128 id = MustNext(gen);
    ASSERT_TRUE(ValidateUuidV7(id).ok());
    ASSERT_LT(prev, id);
    prev = id;
  }
}

}  // namespace
}  // namespace idgen
