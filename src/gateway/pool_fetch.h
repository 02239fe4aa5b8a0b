// Copyright idgen authors.
//
// The gateway's side of the ID pool (src/pool/id_pool.h): a Fetch that asks
// the backends for IDs, and the way back from the pool's plain types to the
// v1 answer the gateway renders.
//
//   PoolFetch(backends): NextIds(ns, count) on the backends, traced as a
//     child of the telemetry::SpanContext the request put in its
//     CallContext (none: a new trace). False when the backends are at
//     --max-in-flight. A backend's grpc::Status arrives as an absl::Status
//     with the same code and message.
//   ToNextIdsResponse: the pool's IdBatch as a v1::NextIdsResponse.
//
// Thread-safety: the Fetch may be called concurrently; `backends` must
// outlive it.
#ifndef IDGEN_GATEWAY_POOL_FETCH_H_
#define IDGEN_GATEWAY_POOL_FETCH_H_

#include "idgen/v1/idgen.pb.h"
#include "src/pool/id_batch.h"
#include "src/pool/id_pool.h"

namespace idgen::gateway {

class Backends;

pool::IdPool::Fetch PoolFetch(Backends* backends);

v1::NextIdsResponse ToNextIdsResponse(pool::IdBatch batch);

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_POOL_FETCH_H_
