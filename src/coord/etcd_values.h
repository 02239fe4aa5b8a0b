// Copyright idgen authors.
//
// What idgen reads back from etcd, decoded in one place: the keys and values
// it writes under /idgen/<cluster>/ and under segment counter keys. The node
// (EtcdLeaseProvider), the etcd segment store and `idgen workers` decode
// them alike, and the fuzzer reaches them without gRPC.
//
//   /idgen/<cluster>/workers/<id>        the holder of worker id <id> (JSON)
//   /idgen/<cluster>/reservations/<id>   reserved-until, decimal Unix ms >= 0
//   a segment counter key                the next value to lease, decimal
//
// A value that is not what idgen wrote is DATA_LOSS: the caller refuses to
// guess (a wrong floor could reissue IDs). The message names the key and
// quotes the value with QuoteForMessage (at most 64 bytes of it, printable),
// so a corrupt or hostile value cannot flood or break a log line.
//
// Thread-safety: pure functions.
#ifndef IDGEN_COORD_ETCD_VALUES_H_
#define IDGEN_COORD_ETCD_VALUES_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace idgen::coord {

// The worker id of `key` when it is `prefix` followed by a decimal id
// (digits only, at most 18 of them); nullopt for any other key.
std::optional<int64_t> WorkerIdOfKey(std::string_view key, std::string_view prefix);

// The reserved-until Unix milliseconds stored at `key`: a decimal >= 0
// (as absl::SimpleAtoi reads it: surrounding whitespace and a '+' pass).
// DATA_LOSS otherwise.
[[nodiscard]] absl::StatusOr<int64_t> ParseReservationValue(std::string_view key,
                                                            std::string_view value);

// The next value of the segment counter at `key`: a decimal (as
// absl::SimpleAtoi reads it) of at most `max_next`. DATA_LOSS otherwise.
[[nodiscard]] absl::StatusOr<uint64_t> ParseCounterValue(std::string_view key,
                                                         std::string_view value, uint64_t max_next);

}  // namespace idgen::coord

#endif  // IDGEN_COORD_ETCD_VALUES_H_
