// Copyright idgen authors.
//
// libFuzzer target: JwtVerifier::Verify (src/auth/jwt_verifier.h) with a
// fixed JWKS (one RSA and one P-256 key, made at start-up) on a FakeClock.
// The first byte picks how the rest is used:
//   * even: the rest is the bearer token, as a client sends it (base64url,
//     header, alg allow-list, kid, signature lengths, ES256 r||s);
//   * odd: the rest is a header and a payload (JSON text, split by the
//     FuzzedDataProvider) that the harness signs with the RSA or EC key,
//     so that the claim checks after a good signature are reached too.
// Checks, for every input:
//   * never a crash, an exception or a sanitizer report;
//   * a refusal is UNAUTHENTICATED;
//   * an accepted token came within the size cap, names a subject without
//     control characters and at least one namespace, and is not past its
//     exp + leeway;
//   * the same token asked again (from the cache) gets the same verdict and,
//     when accepted, the same claims object.
//
// Run:  build/fuzz/bin/jwt_fuzz -max_total_time=60 fuzz/corpus/jwt_fuzz
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "idgen/clock.h"
#include "src/auth/jwks.h"
#include "src/auth/jwt_verifier.h"
#include "src/auth/testing/jwt_signer.h"

namespace {

// 2027-01-15: the seed tokens' exp and nbf are around it.
constexpr int64_t kNowUnix = 1'800'000'000;

struct Fixture {
  idgen::auth::testing::TestKey rsa = idgen::auth::testing::TestKey::Rsa();
  idgen::auth::testing::TestKey ec = idgen::auth::testing::TestKey::P256();
  idgen::FakeClock clock{absl::FromUnixSeconds(kNowUnix)};
  std::shared_ptr<const idgen::auth::Jwks> keys;
};

Fixture* fixture = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  fixture = new Fixture();
  absl::StatusOr<std::shared_ptr<const idgen::auth::Jwks>> keys = idgen::auth::Jwks::Parse(
      idgen::auth::testing::JwksJson({fixture->rsa.PublicJwk("r1"), fixture->ec.PublicJwk("e1")}));
  FUZZ_CHECK(keys.ok(), "%s", keys.status().ToString().c_str());
  fixture->keys = *keys;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using idgen::auth::JwtVerifier;
  using idgen::auth::VerifiedJwt;
  if (size == 0) return 0;
  std::string token;
  if ((data[0] & 1) == 0) {
    token.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    const bool use_ec = in.ConsumeBool();
    const std::string header = in.ConsumeRandomLengthString(512);
    const std::string payload = in.ConsumeRemainingBytesAsString();
    token = (use_ec ? fixture->ec : fixture->rsa).Sign(header, payload);
  }
  // A fresh verifier per input: an empty cache, so each input stands alone.
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = JwtVerifier::Create(
      {.issuer = "https://id.example", .audience = "idgen"}, [] { return fixture->keys; },
      &fixture->clock);
  FUZZ_CHECK(verifier.ok(), "%s", verifier.status().ToString().c_str());

  absl::StatusOr<std::shared_ptr<const VerifiedJwt>> first = (*verifier)->Verify(token);
  absl::StatusOr<std::shared_ptr<const VerifiedJwt>> again = (*verifier)->Verify(token);
  FUZZ_CHECK(first.ok() == again.ok(), "the cache changed the verdict");
  if (!first.ok()) {
    FUZZ_CHECK(first.status().code() == absl::StatusCode::kUnauthenticated, "%s",
               first.status().ToString().c_str());
    FUZZ_CHECK(first.status() == again.status(), "two refusals of one token differ");
    return 0;
  }
  const VerifiedJwt& v = **first;
  FUZZ_CHECK(*first == *again, "a cached token gave other claims");
  FUZZ_CHECK(token.size() <= JwtVerifier::kMaxTokenBytes, "accepted %zu bytes", token.size());
  FUZZ_CHECK(!v.subject.empty(), "accepted without a subject");
  for (const char c : v.subject) {
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control character in sub");
  }
  FUZZ_CHECK(!v.namespaces.empty(), "accepted without namespaces");
  FUZZ_CHECK(v.expires + absl::Seconds(60) >= fixture->clock.WallNow(), "accepted after exp");
  return 0;
}
