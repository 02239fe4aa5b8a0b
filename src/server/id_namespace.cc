// Copyright idgen authors.
#include "src/server/id_namespace.h"

#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/base/status_macros.h"

namespace idgen::server {
namespace {

void CopyId128(const Id128& id, std::string* out) {
  out->assign(reinterpret_cast<const char*>(id.data()), id.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<IdNamespace>> IdNamespace::Create(
    const NamespaceConfig& config, int64_t worker, int64_t floor_unix_ms, int64_t reserved_unix_ms,
    Clock* clock, RandomSource* random) {
  std::unique_ptr<IdNamespace> ns(new IdNamespace(config));
  switch (config.scheme) {
    case Scheme::kSnowflake: {
      SnowflakeOptions opts;
      opts.policy = config.clock;
      opts.issue_after_unix_ms = floor_unix_ms;
      opts.reserved_until_unix_ms = reserved_unix_ms;
      auto gen = SnowflakeGenerator::Create(config.layout, worker, clock, opts);
      if (!gen.ok()) {
        return absl::Status(gen.status().code(),
                            absl::StrCat("namespace ", config.name, ": ", gen.status().message()));
      }
      ns->snowflake_ = std::move(*gen);
      break;
    }
    case Scheme::kUuidV7:
      ns->uuidv7_ = std::make_unique<UuidV7Generator>(clock, random);
      break;
    case Scheme::kUlid:
      ns->ulid_ = std::make_unique<UlidGenerator>(clock, random);
      break;
    case Scheme::kSegment:
      return absl::InternalError(absl::StrCat(
          "namespace ", config.name, " is a segment namespace; the node serves it itself"));
  }
  return ns;
}

absl::Status IdNamespace::CheckCount(uint32_t count) const {
  if (count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("count must be at least 1 (namespace ", config_.name, ")"));
  }
  if (count > config_.max_batch) {
    return absl::ResourceExhaustedError(absl::StrCat("count ", count, " exceeds max_batch ",
                                                     config_.max_batch, " of namespace ",
                                                     config_.name, "; ask for fewer IDs per call"));
  }
  return absl::OkStatus();
}

absl::Status IdNamespace::Next(uint32_t count, v1::NextIdsResponse* out) {
  IDGEN_RETURN_IF_ERROR(CheckCount(count));
  out->set_namespace_(config_.name);
  out->set_scheme(SchemeName(config_.scheme));
  if (snowflake_) {
    auto* ids = out->mutable_ids();
    ids->Resize(static_cast<int>(count), 0);
    return snowflake_->NextBatch(absl::MakeSpan(ids->mutable_data(), count));
  }
  std::vector<Id128> buf(count);
  absl::Status s =
      uuidv7_ ? uuidv7_->NextBatch(absl::MakeSpan(buf)) : ulid_->NextBatch(absl::MakeSpan(buf));
  if (!s.ok()) return s;
  auto* ids = out->mutable_ids128();
  ids->Reserve(static_cast<int>(count));
  for (const Id128& id : buf) CopyId128(id, ids->Add());
  return absl::OkStatus();
}

absl::Status IdNamespace::NextOne(v1::NextIdResponse* out) {
  out->set_namespace_(config_.name);
  out->set_scheme(SchemeName(config_.scheme));
  if (snowflake_) {
    IDGEN_ASSIGN_OR_RETURN(uint64_t id, snowflake_->Next());
    out->set_id(id);
    return absl::OkStatus();
  }
  IDGEN_ASSIGN_OR_RETURN(Id128 id, uuidv7_ ? uuidv7_->Next() : ulid_->Next());
  CopyId128(id, out->mutable_id128());
  return absl::OkStatus();
}

absl::Status IdNamespace::Decode(const v1::DecodeRequest& request, v1::DecodeResponse* out) const {
  return DecodeId(config_, request, out);
}

absl::Status DecodeId(const NamespaceConfig& config, const v1::DecodeRequest& request,
                      v1::DecodeResponse* out) {
  if (config.scheme == Scheme::kSegment) {
    return absl::InvalidArgumentError(absl::StrCat(
        "namespace ", config.name,
        " issues segment IDs: plain counter values that carry no time, worker or sequence, "
        "so there is nothing to decode"));
  }
  if (config.scheme == Scheme::kSnowflake) {
    if (!request.id128().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "namespace ", config.name, " issues 64-bit snowflake IDs; set `id`, not `id128`"));
    }
    IDGEN_ASSIGN_OR_RETURN(DecodedId d, config.layout.DecodeChecked(request.id()));
    out->set_timestamp_ms(d.timestamp_ms);
    out->set_worker(d.worker);
    out->set_sequence(d.sequence);
    out->set_tick(d.tick);
    return absl::OkStatus();
  }
  if (request.id128().size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace ", config.name, " issues 128-bit ", SchemeName(config.scheme),
                     " IDs; `id128` must be 16 bytes, got ", request.id128().size()));
  }
  Id128 id;
  std::memcpy(id.data(), request.id128().data(), 16);
  if (config.scheme == Scheme::kUuidV7) {
    IDGEN_RETURN_IF_ERROR(ValidateUuidV7(id));
    out->set_timestamp_ms(UuidV7UnixMillis(id));
  } else {
    out->set_timestamp_ms(UlidUnixMillis(id));
  }
  return absl::OkStatus();
}

void IdNamespace::SetReservedUntil(int64_t unix_ms) {
  if (snowflake_) snowflake_->SetReservedUntil(unix_ms);
}

int64_t IdNamespace::last_issued_unix_ms() const {
  return snowflake_ ? snowflake_->last_issued_unix_ms() : 0;
}

bool IdNamespace::clock_refusing() const {
  return snowflake_ && snowflake_->clock_state() == ClockState::kRefusing;
}

void FillNamespaceConfigInfo(const NamespaceConfig& config, v1::NamespaceInfo* info) {
  info->set_name(config.name);
  info->set_scheme(SchemeName(config.scheme));
  info->set_max_batch(config.max_batch);
  if (config.scheme != Scheme::kSnowflake) return;
  const Layout& l = config.layout;
  v1::Layout* pl = info->mutable_layout();
  pl->set_preset(l.spec().name);
  pl->set_time_bits(static_cast<uint32_t>(l.time_bits()));
  pl->set_worker_bits(static_cast<uint32_t>(l.worker_bits()));
  pl->set_sequence_bits(static_cast<uint32_t>(l.sequence_bits()));
  pl->set_unit_ms(l.unit_ms());
  pl->set_epoch_ms(l.epoch_unix_ms());
  if (l.time_runs_out() != absl::InfiniteFuture()) {
    pl->set_time_runs_out_ms(absl::ToUnixMillis(l.time_runs_out()));
  }
}

void IdNamespace::FillInfo(v1::NamespaceInfo* info) const {
  FillNamespaceConfigInfo(config_, info);
  if (!snowflake_) return;
  snowflake_->ObserveClock();  // so the state is current even with no traffic
  const SnowflakeGenerator::Stats st = snowflake_->stats();
  v1::ClockInfo* c = info->mutable_clock();
  c->set_state(std::string(ClockStateName(snowflake_->clock_state())));
  c->set_lag_ms(snowflake_->clock_lag_ms());
  c->set_regressions(st.regressions);
  c->set_max_regression_ms(st.max_regression_ms);
  c->set_waits(st.waits);
  c->set_logical_ids(st.logical_ids);
  c->set_borrowed_ms(st.borrowed_ms);
  c->set_exhaustion_waits(st.exhaustion_waits);
  c->set_max_wait_ms(absl::ToInt64Milliseconds(config_.clock.max_wait));
  c->set_max_borrow_ms(absl::ToInt64Milliseconds(config_.clock.max_borrow));
  info->set_last_issued_ms(snowflake_->last_issued_unix_ms());
}

}  // namespace idgen::server
