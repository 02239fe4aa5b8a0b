// Copyright idgen authors.
//
// Not part of any target: the nodiscard_* CTest tests compile this file with
// -fsyntax-only -Werror, once as it stands (it must compile) and once for
// each IDGEN_NODISCARD_CASE, which drops a Status or StatusOr on the floor
// (it must fail with "ignoring return value"). They keep [[nodiscard]] on
// the calls whose failures matter most.
#include <cstdint>

#include "absl/types/span.h"
#include "idgen/snowflake_generator.h"
#include "src/coord/worker_lease.h"

namespace idgen {

void UseResults(SnowflakeGenerator& gen, coord::WorkerLease& lease, absl::Span<uint64_t> out) {
#if IDGEN_NODISCARD_CASE == 1
  gen.Next();
#elif IDGEN_NODISCARD_CASE == 2
  gen.NextBatch(out);
#elif IDGEN_NODISCARD_CASE == 3
  lease.Reserve(0);
#else
  // Using or explicitly discarding a result compiles.
  if (!gen.Next().ok()) return;
  static_cast<void>(gen.NextBatch(out));
  if (!lease.Reserve(0).ok()) return;
#endif
}

}  // namespace idgen
