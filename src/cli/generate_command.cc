// Copyright idgen authors.
//
// `idgen generate`: makes UUIDv7s or ULIDs in-process; see generate_command.h.
#include "src/cli/commands.h"

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "idgen/clock.h"
#include "idgen/codec.h"
#include "idgen/id128.h"
#include "idgen/random.h"
#include "idgen/snowflake_generator.h"
#include "idgen/ulid_generator.h"
#include "idgen/uuidv7_generator.h"
#include "src/cli/layout_flags.h"

namespace idgen::cli {
namespace {

constexpr int64_t kMaxCount = 1'000'000;

struct GenerateArgs {
  std::string scheme;
  int64_t count = 1;
  bool json = false;
  int64_t worker = 0;
  std::string format = "decimal";
  LayoutFlags layout;
};

// How one 128-bit scheme is generated and shown.
struct Scheme128 {
  std::string_view name;
  std::string (*format)(const Id128&);
  int64_t (*unix_millis)(const Id128&);
};

// Writes IDs as they are made, in chunks: a million IDs never sit in memory as
// JSON objects or as one string.
class Writer {
 public:
  explicit Writer(std::ostream& out) : out_(out) {}
  void Append(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kFlushBytes) Flush();
  }
  // False if the stream failed (closed pipe, full disk).
  bool Finish() {
    Flush();
    out_.flush();
    return out_.good();
  }

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  void Flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }
  std::ostream& out_;
  std::string buf_;
};

// Generates a.count IDs of type `Id` in batches through `fill` (a
// NextBatch), writing each as `text(id)` and, with --json, its
// `millis(id)`. Shared by every scheme so the output format is defined once.
template <typename Id, typename Fill, typename Text, typename Millis>
int EmitIds(const GenerateArgs& a, std::string_view scheme, Fill fill, Text text, Millis millis) {
  Writer w(std::cout);
  if (a.json) {
    w.Append(R"({"scheme":)");
    w.Append(nlohmann::json(scheme).dump());
    w.Append(R"(,"ids":[)");
  }
  constexpr int64_t kBatch = 4096;
  std::vector<Id> ids(static_cast<size_t>(std::min(a.count, kBatch)));
  for (int64_t done = 0; done < a.count;) {
    const size_t n = static_cast<size_t>(std::min(a.count - done, kBatch));
    const absl::Span<Id> batch = absl::MakeSpan(ids.data(), n);
    if (absl::Status s = fill(batch); !s.ok()) {
      w.Finish();
      std::cerr << "idgen generate: " << s.message() << "\n";
      return 1;
    }
    for (const Id& id : batch) {
      const std::string t = text(id);
      if (a.json) {
        if (done > 0) w.Append(",");
        // ordered_json keeps "id" before "timestamp_ms", as documented.
        w.Append(nlohmann::ordered_json{{"id", t}, {"timestamp_ms", millis(id)}}.dump());
      } else {
        w.Append(t);
        w.Append("\n");
      }
      ++done;
    }
  }
  if (a.json) w.Append("]}\n");
  if (!w.Finish()) {
    std::cerr << "idgen generate: writing to stdout failed\n";
    return 1;
  }
  return 0;
}

template <typename Generator>
int Emit(Generator& gen, const Scheme128& scheme, const GenerateArgs& a) {
  return EmitIds<Id128>(
      a, scheme.name, [&](absl::Span<Id128> batch) { return gen.NextBatch(batch); }, scheme.format,
      scheme.unix_millis);
}

// Snowflake IDs from an in-process generator on worker `--worker`. Nothing
// is coordinated: two processes with the same worker id can collide, which
// is why this is a tool and `idgen serve` is the service.
int EmitSnowflake(const GenerateArgs& a) {
  absl::StatusOr<IdFormat> format = ParseIdFormat(a.format);
  if (!format.ok()) {
    std::cerr << "idgen generate: " << format.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<Layout> layout = a.layout.Resolve();
  if (!layout.ok()) {
    std::cerr << "idgen generate: " << layout.status().message() << "\n";
    return 2;
  }
  auto gen = SnowflakeGenerator::Create(*layout, a.worker, SystemClock::Get(), {});
  if (!gen.ok()) {
    std::cerr << "idgen generate: " << gen.status().message() << "\n";
    return 2;
  }
  return EmitIds<uint64_t>(
      a, "snowflake", [&](absl::Span<uint64_t> batch) { return (*gen)->NextBatch(batch); },
      [&](uint64_t id) { return FormatId(id, *format); },
      [&](uint64_t id) { return layout->Decode(id).timestamp_ms; });
}

int RunGenerate(const GenerateArgs& a) {
  if (a.count < 1 || a.count > kMaxCount) {
    std::cerr << "idgen generate: --count must be between 1 and " << kMaxCount << ", got "
              << a.count << "\n";
    return 2;
  }
  if (a.scheme == "uuidv7") {
    UuidV7Generator gen(SystemClock::Get(), OsRandom::Default());
    return Emit(gen, Scheme128{"uuidv7", &FormatUuid, &UuidV7UnixMillis}, a);
  }
  if (a.scheme == "ulid") {
    UlidGenerator gen(SystemClock::Get(), OsRandom::Default());
    return Emit(gen, Scheme128{"ulid", &FormatUlid, &UlidUnixMillis}, a);
  }
  if (a.scheme == "snowflake") return EmitSnowflake(a);
  std::cerr << "idgen generate: unknown scheme \"" << a.scheme
            << "\"; valid schemes are uuidv7, ulid, snowflake\n";
  return 2;
}

}  // namespace

void AddGenerateCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate IDs in this process, without a server");
  cmd->add_option("--scheme", args->scheme, "ID scheme: uuidv7, ulid, snowflake")->required();
  cmd->add_option("--count", args->count, "How many IDs, 1..1000000")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object instead of one ID per line");
  cmd->add_option("--worker", args->worker, "Worker id for snowflake IDs (no coordination!)")
      ->capture_default_str();
  cmd->add_option("--format", args->format, "Snowflake text form: decimal, hex, base62, base32")
      ->capture_default_str();
  args->layout.AddTo(cmd);
  cmd->callback([args, exit_code] { *exit_code = RunGenerate(*args); });
}

}  // namespace idgen::cli
