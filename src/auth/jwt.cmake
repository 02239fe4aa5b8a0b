# The JWT verifier's libraries (see src/auth/CMakeLists.txt). Paths are
# relative to this file, so it can be included from another directory.
include_guard(GLOBAL)  # src/auth and the fuzz build may both include it
idgen_cc_library(NAME idgen_jwt
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/base64url.cc
    ${CMAKE_CURRENT_LIST_DIR}/jwks.cc
    ${CMAKE_CURRENT_LIST_DIR}/jwks_file.cc
    ${CMAKE_CURRENT_LIST_DIR}/jwt_verifier.cc
  PUBLIC_DEPS idgen_core idgen_config OpenSSL::Crypto absl::flat_hash_map absl::status
    absl::statusor absl::strings absl::time Threads::Threads
)
# Keys made and tokens signed in memory, for tests of anything that verifies.
idgen_cc_library(NAME idgen_jwt_testing
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/testing/jwt_signer.cc
  PUBLIC_DEPS idgen_jwt OpenSSL::Crypto absl::strings
)
