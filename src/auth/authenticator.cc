// Copyright idgen authors.
#include "src/auth/authenticator.h"

#include <sys/stat.h>

#include <iostream>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
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
    idgen::MutexLock lock(&a->reload_mu_);
    a->stamp_ = a->Stamp();
    absl::StatusOr<std::shared_ptr<const KeyFile>> keys = KeyFile::Load(a->options_.key_file);
    if (!keys.ok()) {
      return absl::Status(keys.status().code(),
                          absl::StrCat("--auth-keys: ", keys.status().message()));
    }
    a->keys_.store(*std::move(keys));
  }
  return a;
}

Authenticator::~Authenticator() {
  stop_.Notify();
  if (poller_.joinable()) poller_.join();
}

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
    const std::shared_ptr<const KeyFile> keys = keys_.load();
    const KeyEntry* entry = keys != nullptr ? keys->FindKey(*token) : nullptr;
    if (entry == nullptr) {
      invalid_.fetch_add(1, std::memory_order_relaxed);
      return Failure(AuthFailure::kInvalid, "the API key is not valid");
    }
    return std::shared_ptr<const Principal>(keys, &entry->principal);
  }
  if (credentials.tls_identities != nullptr && !credentials.tls_identities->empty()) {
    const std::shared_ptr<const KeyFile> keys = keys_.load();
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
  c.reload_failures = reload_failures_.load(std::memory_order_relaxed);
  return c;
}

Authenticator::FileStamp Authenticator::Stamp() const {
  struct stat st {};
  if (stat(options_.key_file.c_str(), &st) != 0) return FileStamp{};
  return FileStamp{st.st_ino, st.st_size,
                   int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

void Authenticator::Poll() {
  if (options_.key_file.empty()) return;
  idgen::MutexLock lock(&reload_mu_);
  Reload(/*forced=*/false);
}

void Authenticator::ReloadNow() {
  if (options_.key_file.empty()) return;
  idgen::MutexLock lock(&reload_mu_);
  Reload(/*forced=*/true);
}

void Authenticator::Reload(bool forced) {
  const FileStamp now = Stamp();
  if (!forced && now == stamp_) return;
  stamp_ = now;
  absl::StatusOr<std::shared_ptr<const KeyFile>> keys = KeyFile::Load(options_.key_file);
  if (!keys.ok()) {
    reload_failures_.fetch_add(1, std::memory_order_relaxed);
    Log(absl::StrCat("--auth-keys: keeping the keys in use: ", keys.status().message()), true);
    return;
  }
  const size_t n = (*keys)->entries().size();
  keys_.store(*std::move(keys));
  Log(absl::StrCat("--auth-keys: loaded ", n, " entries from ", options_.key_file), false);
}

void Authenticator::StartPolling() {
  if (options_.key_file.empty() || poller_.joinable()) return;
  poller_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.poll_interval)) Poll();
  });
}

void Authenticator::Log(const std::string& message, bool warning) const {
  if (options_.log) {
    options_.log(message, warning);
  } else {
    std::cerr << "idgen: " << message << "\n";
  }
}

}  // namespace idgen::auth
