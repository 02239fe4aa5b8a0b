// Copyright idgen authors.
#include "src/gateway/pool_fetch.h"

#include <string>
#include <utility>

#include "src/gateway/backends.h"
#include "src/telemetry/span_context.h"

namespace idgen::gateway {

pool::IdPool::Fetch PoolFetch(Backends* backends) {
  return [backends](const std::string& ns, uint32_t count, const pool::CallContext& ctx,
                    pool::IdPool::FetchDone done) {
    v1::NextIdsRequest request;
    request.set_namespace_(ns);
    request.set_count(count);
    const auto* span = ctx.Get<telemetry::SpanContext>();
    return backends->NextIds(
        request, span != nullptr ? *span : telemetry::SpanContext{},
        [done = std::move(done)](const grpc::Status& s, v1::NextIdsResponse& r) {
          if (!s.ok()) {
            // grpc::StatusCode and absl::StatusCode share their values.
            done(absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
            return;
          }
          pool::IdBatch batch;
          batch.ns = std::move(*r.mutable_namespace_());
          batch.scheme = std::move(*r.mutable_scheme());
          batch.ids.assign(r.ids().begin(), r.ids().end());
          batch.ids128.reserve(static_cast<size_t>(r.ids128_size()));
          for (std::string& id : *r.mutable_ids128()) batch.ids128.push_back(std::move(id));
          done(std::move(batch));
        });
  };
}

v1::NextIdsResponse ToNextIdsResponse(pool::IdBatch batch) {
  v1::NextIdsResponse r;
  r.set_namespace_(std::move(batch.ns));
  r.set_scheme(std::move(batch.scheme));
  r.mutable_ids()->Add(batch.ids.begin(), batch.ids.end());
  r.mutable_ids128()->Reserve(static_cast<int>(batch.ids128.size()));
  for (std::string& id : batch.ids128) *r.add_ids128() = std::move(id);
  return r;
}

}  // namespace idgen::gateway
