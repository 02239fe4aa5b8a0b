// Copyright idgen authors.
//
// libFuzzer target: the ID text codecs that read what callers send
// (GET /v1/ids/{id}/decode, `idgen decode`, the format parameter):
// ParseId in each of the four formats, ParseUuid, ParseUlid, ParseIdFormat
// and QuoteForMessage (which puts the caller's text into error messages).
// Promises checked (codec.h, uuidv7_generator.h, ulid_generator.h):
//   * what parses formats back to the same value, and FormatId's text is
//     the canonical one: parsing it gives the value again;
//   * a parsed text is no longer than a format's longest text plus leading
//     zeros, i.e. ParseId never accepts a character outside the format
//     (checked by re-parsing the canonical form of what was accepted);
//   * a UUID or ULID that parses formats to text that parses to the same
//     128 bits, and that text equals the input up to case (and the
//     Crockford aliases for ULID);
//   * every error is INVALID_ARGUMENT and its message is one printable
//     ASCII line.
//
// Run:  build/fuzz/bin/id_codec_fuzz -max_total_time=60 CORPUS_DIR fuzz/corpus/id_codec_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "idgen/codec.h"
#include "idgen/id128.h"
#include "idgen/ulid_generator.h"
#include "idgen/uuidv7_generator.h"

namespace idgen {
namespace {

void CheckError(const absl::Status& s, const char* what) {
  FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument, "%s: %s", what, s.ToString().c_str());
  for (char c : s.message()) {
    FUZZ_CHECK(c >= 0x20 && c < 0x7f, "%s: unprintable byte 0x%02x in message", what,
               static_cast<unsigned char>(c));
  }
}

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

void FuzzId64(std::string_view text) {
  for (IdFormat f : {IdFormat::kDecimal, IdFormat::kHex, IdFormat::kBase62, IdFormat::kBase32}) {
    const absl::StatusOr<uint64_t> id = ParseId(text, f);
    if (!id.ok()) {
      CheckError(id.status(), "ParseId");
      continue;
    }
    const std::string canonical = FormatId(*id, f);
    FUZZ_CHECK(!canonical.empty() && canonical.size() <= kMaxIdTextLength, "FormatId gave %s",
               canonical.c_str());
    char buf[kMaxIdTextLength];
    const size_t n = FormatIdTo(*id, f, buf);
    FUZZ_CHECK(std::string_view(buf, n) == canonical, "FormatIdTo differs from FormatId");
    const absl::StatusOr<uint64_t> again = ParseId(canonical, f);
    FUZZ_CHECK(again.ok() && *again == *id, "%s does not parse back in %s", canonical.c_str(),
               std::string(IdFormatName(f)).c_str());
    // Only leading zeros (and hex's 0x) may make the input longer.
    FUZZ_CHECK(text.size() >= canonical.size(), "%zu-byte text for a %zu-byte ID", text.size(),
               canonical.size());
  }
}

void FuzzId128(std::string_view text) {
  if (absl::StatusOr<Id128> uuid = ParseUuid(text); uuid.ok()) {
    const std::string out = FormatUuid(*uuid);
    FUZZ_CHECK(out.size() == text.size(), "UUID text %s", out.c_str());
    for (size_t i = 0; i < out.size(); ++i) {
      FUZZ_CHECK(Upper(out[i]) == Upper(text[i]), "UUID %s read as %s", std::string(text).c_str(),
                 out.c_str());
    }
    const absl::StatusOr<Id128> again = ParseUuid(out);
    FUZZ_CHECK(again.ok() && *again == *uuid, "UUID %s does not parse back", out.c_str());
  } else {
    CheckError(uuid.status(), "ParseUuid");
  }
  if (absl::StatusOr<Id128> ulid = ParseUlid(text); ulid.ok()) {
    const std::string out = FormatUlid(*ulid);
    FUZZ_CHECK(out.size() == 26 && text.size() == 26, "ULID text %s", out.c_str());
    for (size_t i = 0; i < out.size(); ++i) {
      FUZZ_CHECK(CrockfordDigitValue(out[i]) == CrockfordDigitValue(text[i]), "ULID %s read as %s",
                 std::string(text).c_str(), out.c_str());
    }
    const absl::StatusOr<Id128> again = ParseUlid(out);
    FUZZ_CHECK(again.ok() && *again == *ulid, "ULID %s does not parse back", out.c_str());
  } else {
    CheckError(ulid.status(), "ParseUlid");
  }
}

void FuzzFormatName(std::string_view text) {
  const absl::StatusOr<IdFormat> f = ParseIdFormat(text);
  if (!f.ok()) {
    CheckError(f.status(), "ParseIdFormat");
    return;
  }
  const absl::StatusOr<IdFormat> again = ParseIdFormat(IdFormatName(*f));
  FUZZ_CHECK(again.ok() && *again == *f, "format name does not parse back");
}

void FuzzQuote(std::string_view text) {
  const std::string q = QuoteForMessage(text);
  FUZZ_CHECK(q.size() >= 2 && q.front() == '"', "quote %s", q.c_str());
  for (char c : q) {
    FUZZ_CHECK(c >= 0x20 && c < 0x7f, "unprintable byte 0x%02x in quote",
               static_cast<unsigned char>(c));
  }
  FUZZ_CHECK(q.size() <= 64 * 4 + 64, "quote of %zu bytes", q.size());
}

}  // namespace
}  // namespace idgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  idgen::FuzzId64(text);
  idgen::FuzzId128(text);
  idgen::FuzzFormatName(text);
  idgen::FuzzQuote(text);
  return 0;
}
