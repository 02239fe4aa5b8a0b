// Copyright idgen authors.
//
// libFuzzer target: what idgen reads back from etcd (src/coord/etcd_values.h):
// worker ids from keys under a workers/ prefix, reservation values, segment
// counter values. etcd is shared: anything with write access to it can put
// any bytes there, so these are untrusted too.
// Promises checked:
//   * never a crash; a value idgen did not write is DATA_LOSS;
//   * every error message is one printable ASCII line of bounded length
//     (the value is quoted, never copied raw);
//   * a worker id comes back from the key idgen would write for it; a
//     reservation is >= 0; a counter value is at most its limit.
//
// Run:  build/fuzz/bin/etcd_values_fuzz -max_total_time=60 CORPUS_DIR fuzz/corpus/etcd_values_fuzz
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_check.h"
#include "src/coord/etcd_values.h"

namespace idgen {
namespace {

// Two quoted inputs (64 bytes each, hex-escaped at worst) and the sentence.
constexpr size_t kMaxMessageBytes = 1024;

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.code() == absl::StatusCode::kDataLoss, "%s", s.ToString().c_str());
  FUZZ_CHECK(s.message().size() <= kMaxMessageBytes, "message of %zu bytes", s.message().size());
  for (char c : s.message()) {
    FUZZ_CHECK(c >= 0x20 && c < 0x7f, "unprintable byte 0x%02x in message",
               static_cast<unsigned char>(c));
  }
}

}  // namespace
}  // namespace idgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string prefix =
      in.ConsumeBool() ? "/idgen/local/workers/" : in.ConsumeRandomLengthString(40);
  const std::string key = in.ConsumeRandomLengthString(128);
  const uint64_t max_next = in.ConsumeIntegral<uint64_t>();
  const std::string value = in.ConsumeRemainingBytesAsString();

  for (const std::string& k : {key, prefix + key, prefix + value}) {
    if (const std::optional<int64_t> id = idgen::coord::WorkerIdOfKey(k, prefix)) {
      FUZZ_CHECK(*id >= 0, "worker id %lld", static_cast<long long>(*id));
      const std::optional<int64_t> again =
          idgen::coord::WorkerIdOfKey(absl::StrCat(prefix, *id), prefix);
      FUZZ_CHECK(again == id, "worker id %lld does not come back", static_cast<long long>(*id));
    }
  }
  if (absl::StatusOr<int64_t> ms = idgen::coord::ParseReservationValue(key, value); ms.ok()) {
    FUZZ_CHECK(*ms >= 0, "reservation %lld", static_cast<long long>(*ms));
  } else {
    idgen::CheckError(ms.status());
  }
  if (absl::StatusOr<uint64_t> next = idgen::coord::ParseCounterValue(key, value, max_next);
      next.ok()) {
    FUZZ_CHECK(*next <= max_next, "counter %llu above %llu", static_cast<unsigned long long>(*next),
               static_cast<unsigned long long>(max_next));
  } else {
    idgen::CheckError(next.status());
  }
  return 0;
}
