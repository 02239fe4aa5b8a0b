// Copyright idgen authors.
#include "src/auth/authenticator.h"

#include <iostream>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "idgen/clock.h"
#include "src/auth/bearer.h"

namespace idgen::auth {
namespace {

constexpr absl::string_view kFailureUrl = "type.idgen.dev/auth.failure";

absl::Status Failure(AuthFailure kind, absl::string_view message) {
  absl::Status s = absl::UnauthenticatedError(message);
  s.SetPayload(kFailureUrl, absl::Cord(kind == AuthFailure::kMissing ? "missing" : "invalid"));
  return s;
}

}  // namespace

AuthFailure FailureOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnauthenticated) return AuthFailure::kNone;
  const auto p = status.GetPayload(kFailureUrl);
  if (p.has_value() && *p == "missing") return AuthFailure::kMissing;
  return AuthFailure::kInvalid;
}

Authenticator::Authenticator(AuthenticatorOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(AuthenticatorOptions options) {
  if (options.poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the key file poll interval must be positive");
  }
  std::unique_ptr<Authenticator> a(new Authenticator(std::move(options)));
  if (!a->options_.key_file.empty()) {
    config::WatchedFile<KeyFile>::Options o;
    o.path = a->options_.key_file;
    o.load = [](const std::string& path) { return KeyFile::Load(path); };
    o.success_message = [path = o.path](const KeyFile& keys) {
      return absl::StrCat("--auth-keys: loaded ", keys.entries().size(), " entries from ", path);
    };
    o.failure_message = [](const absl::Status& error, const KeyFile&) {
      return absl::StrCat("--auth-keys: keeping the keys in use: ", error.message());
    };
    Authenticator* self = a.get();
    o.log = [self](const std::string& message, bool error) { self->Log(message, error); };
    o.clock = SystemClock::Get();
    o.min_interval = absl::ZeroDuration();  // Poll() looks every time it is called
    o.poll_every = a->options_.poll_interval;
    absl::StatusOr<std::unique_ptr<config::WatchedFile<KeyFile>>> keys =
        config::WatchedFile<KeyFile>::Create(std::move(o));
    if (!keys.ok()) {
      return absl::Status(keys.status().code(),
                          absl::StrCat("--auth-keys: ", keys.status().message()));
    }
    a->keys_ = *std::move(keys);
  }
  return a;
}

Authenticator::~Authenticator() = default;

void Authenticator::SetTokenVerifier(std::shared_ptr<TokenVerifier> verifier) {
  verifier_ = std::move(verifier);
}

absl::StatusOr<std::shared_ptr<const Principal>> Authenticator::Authenticate(
    const Credentials& credentials) const {
  static const std::shared_ptr<const Principal> anonymous =
      std::make_shared<const Principal>(AnonymousPrincipal());
  if (open()) return anonymous;
  if (!credentials.authorization.empty()) {
    std::optional<absl::string_view> token = ParseBearer(credentials.authorization);
    if (!token.has_value()) {
      invalid_.fetch_add(1, std::memory_order_relaxed);
      return Failure(AuthFailure::kInvalid,
                     "the authorization credential is not \"Bearer <token>\"");
    }
    if (verifier_ != nullptr && LooksLikeJwt(*token)) {
      absl::StatusOr<Principal> p = verifier_->Verify(*token);
      if (!p.ok()) {
        invalid_.fetch_add(1, std::memory_order_relaxed);
        return Failure(AuthFailure::kInvalid, p.status().message());
      }
      return std::make_shared<const Principal>(*std::move(p));
    }
    const std::shared_ptr<const KeyFile> keys = keys_ != nullptr ? keys_->Current() : nullptr;
    const KeyEntry* entry = keys != nullptr ? keys->FindKey(*token) : nullptr;
    if (entry == nullptr) {
      invalid_.fetch_add(1, std::memory_order_relaxed);
      return Failure(AuthFailure::kInvalid, "the API key is not valid");
    }
    return std::shared_ptr<const Principal>(keys, &entry->principal);
  }
  if (credentials.tls_identities != nullptr && !credentials.tls_identities->empty()) {
    const std::shared_ptr<const KeyFile> keys = keys_ != nullptr ? keys_->Current() : nullptr;
    if (keys != nullptr) {
      if (const KeyEntry* entry = keys->FindIdentity(*credentials.tls_identities)) {
        return std::shared_ptr<const Principal>(keys, &entry->principal);
      }
    }
  }
  missing_.fetch_add(1, std::memory_order_relaxed);
  return Failure(AuthFailure::kMissing,
                 "credentials required: send \"authorization: Bearer <API key or token>\"");
}

Authenticator::Counts Authenticator::counts() const {
  Counts c;
  c.missing = missing_.load(std::memory_order_relaxed);
  c.invalid = invalid_.load(std::memory_order_relaxed);
  c.forbidden = forbidden_.load(std::memory_order_relaxed);
  c.reload_failures = keys_ != nullptr ? static_cast<uint64_t>(keys_->reload_failures()) : 0;
  return c;
}

void Authenticator::Poll() {
  if (keys_ != nullptr) keys_->Poll();
}

void Authenticator::ReloadNow() {
  if (keys_ != nullptr) keys_->ReloadNow();
}

void Authenticator::StartPolling() {
  if (keys_ != nullptr) keys_->StartPolling();
}

void Authenticator::Log(const std::string& message, bool warning) const {
  if (options_.log) {
    options_.log(message, warning);
  } else {
    std::cerr << "idgen: " << message << "\n";
  }
}

}  // namespace idgen::auth
