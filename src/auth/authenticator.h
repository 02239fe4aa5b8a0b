// Copyright idgen authors.
//
// Authenticator: who is calling, from what the request carries.
//
//   * A bearer token with two dots goes to the TokenVerifier when one is set
//     (JWTs); any other bearer token is an API key, looked up in the key
//     file by its SHA-256 (key_file.h).
//   * Without a token, a verified client certificate whose CN or a SAN is an
//     entry's `tls_identity` stands for that entry.
//   * A process with neither a key file nor a verifier is open: every
//     caller is the anonymous principal (AnonymousPrincipal()). The CLI
//     allows that only on loopback, or with --allow-anonymous.
//
// Failures are UNAUTHENTICATED, and FailureOf tells the two kinds apart so
// that REST can pick its RFC 6750 challenge: kMissing (no credential) and
// kInvalid (a credential that is malformed, unknown or refused by the
// verifier). Messages never contain the credential.
//
// The key file is read again when it changes (Poll, every second on a
// thread of its own after StartPolling) and on ReloadNow (SIGHUP). A file
// that does not load keeps the current keys; `log` hears why (the path and
// the parse error, never a key) and counts().reload_failures grows.
//
// Thread-safety: Authenticate, counts and CountForbidden from any thread;
// SetTokenVerifier before the first Authenticate.
#ifndef IDGEN_AUTH_AUTHENTICATOR_H_
#define IDGEN_AUTH_AUTHENTICATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "idgen/internal/mutex.h"
#include "src/auth/key_file.h"
#include "src/auth/principal.h"
#include "src/auth/token_verifier.h"
#include "src/config/watched_file.h"

namespace idgen::auth {

// What a request presents.
struct Credentials {
  // The `Authorization` header or metadata value, as sent ("" when absent).
  absl::string_view authorization;
  // The verified client certificate's CN and SANs (empty without one).
  const std::vector<std::string>* tls_identities = nullptr;
};

enum class AuthFailure { kNone, kMissing, kInvalid };

// kMissing / kInvalid for a status Authenticate returned; kNone otherwise.
AuthFailure FailureOf(const absl::Status& status);

struct AuthenticatorOptions {
  std::string key_file;  // --auth-keys; empty: no API keys
  absl::Duration poll_interval = absl::Seconds(1);
  // Reload outcomes (never a key); optional.
  std::function<void(const std::string& message, bool warning)> log;
};

class Authenticator {
 public:
  struct Counts {
    uint64_t missing = 0;          // no credential
    uint64_t invalid = 0;          // a wrong, malformed or refused credential
    uint64_t forbidden = 0;        // authenticated, but scope or namespace refused
    uint64_t reload_failures = 0;  // key file changes that did not load
  };

  // Loads the key file (INVALID_ARGUMENT / NOT_FOUND naming it).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      AuthenticatorOptions options);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Tokens with two dots go to `verifier` (JWT). Call before serving.
  void SetTokenVerifier(std::shared_ptr<TokenVerifier> verifier);
  // True with neither a key file nor a verifier: everyone is anonymous.
  bool open() const { return options_.key_file.empty() && verifier_ == nullptr; }

  // The caller. A key-file entry's principal is shared with the loaded
  // file (no copy per request; it stays valid after a reload); a token's is
  // made for it.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Principal>> Authenticate(
      const Credentials& credentials) const;
  // Counted by the servers when Principal::Check refuses.
  void CountForbidden() const { forbidden_.fetch_add(1, std::memory_order_relaxed); }
  Counts counts() const;

  // Reads the key file again if its inode, size or modification time
  // changed since the last load (a WatchedFile, src/config/watched_file.h).
  void Poll();
  // Reads it again now (SIGHUP).
  void ReloadNow();
  // Poll() every poll_interval until destruction. Nothing without a file.
  void StartPolling();

 private:
  explicit Authenticator(AuthenticatorOptions options);
  void Log(const std::string& message, bool warning) const;

  const AuthenticatorOptions options_;
  std::shared_ptr<TokenVerifier> verifier_;
  std::unique_ptr<config::WatchedFile<KeyFile>> keys_;  // null without a key file
  mutable std::atomic<uint64_t> missing_{0};
  mutable std::atomic<uint64_t> invalid_{0};
  mutable std::atomic<uint64_t> forbidden_{0};
};

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_AUTHENTICATOR_H_
