// Copyright idgen authors.
//
// What checking a caller's JWT costs per request (src/auth/jwt_verifier.h),
// beside what an API key costs, measured in the same run:
//   BM_ApiKeySha256        the peer: SHA-256 of a 47-byte key, the work an
//                          API-key lookup does per request (key_file.h)
//   BM_JwtCached           a token verified before: one hash lookup
//   BM_JwtUncached/RS256   the full check (parse, RSA-2048 signature, claims)
//   BM_JwtUncached/ES256   the same with a P-256 signature
// The cache is why JWT callers cost about what key callers cost; the
// uncached figures are what a new token (or a flood of forged ones) costs.
//
// Run: build/bin/jwt_bench
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "src/auth/jwks.h"
#include "src/auth/jwt_verifier.h"
#include "src/auth/testing/jwt_signer.h"

namespace idgen::auth {
namespace {

constexpr int64_t kNow = 1'800'000'000;

struct Setup {
  testing::TestKey rsa = testing::TestKey::Rsa();
  testing::TestKey ec = testing::TestKey::P256();
  std::shared_ptr<const Jwks> keys =
      *Jwks::Parse(testing::JwksJson({rsa.PublicJwk("r1"), ec.PublicJwk("e1")}));
  FakeClock clock{absl::FromUnixSeconds(kNow)};
  std::string claims = absl::StrCat(
      R"({"iss":"https://id.example","aud":"idgen","sub":"svc-a","scope":"ids:generate info",)",
      R"("exp":)", kNow + 3600, "}");

  std::unique_ptr<JwtVerifier> Verifier(size_t cache_entries) {
    return *JwtVerifier::Create(
        {.issuer = "https://id.example", .audience = "idgen", .cache_entries = cache_entries},
        [this] { return keys; }, &clock);
  }
};

Setup& TheSetup() {
  static Setup* setup = new Setup();
  return *setup;
}

void BM_ApiKeySha256(benchmark::State& state) {
  const std::string key = "idg_" + std::string(43, 'k');
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK(BM_ApiKeySha256);

void BM_JwtCached(benchmark::State& state) {
  Setup& s = TheSetup();
  std::unique_ptr<JwtVerifier> v = s.Verifier(10000);
  const std::string token = s.rsa.Sign(R"({"alg":"RS256","kid":"r1"})", s.claims);
  if (!v->Verify(token).ok()) state.SkipWithError("token refused");
  for (auto _ : state) benchmark::DoNotOptimize(v->Verify(token));
}
BENCHMARK(BM_JwtCached);

void BM_JwtUncached(benchmark::State& state) {
  Setup& s = TheSetup();
  std::unique_ptr<JwtVerifier> v = s.Verifier(0);  // nothing is remembered
  const bool ec = state.range(0) == 1;
  const std::string token = ec ? s.ec.Sign(R"({"alg":"ES256","kid":"e1"})", s.claims)
                               : s.rsa.Sign(R"({"alg":"RS256","kid":"r1"})", s.claims);
  state.SetLabel(ec ? "ES256" : "RS256");
  if (!v->Verify(token).ok()) state.SkipWithError("token refused");
  for (auto _ : state) benchmark::DoNotOptimize(v->Verify(token));
}
BENCHMARK(BM_JwtUncached)->Arg(0)->Arg(1);

}  // namespace
}  // namespace idgen::auth

BENCHMARK_MAIN();
