// Copyright idgen authors.
#include "src/gateway/swagger_ui.h"

#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace idgen::gateway {
namespace {

namespace fs = std::filesystem;

struct Asset {
  std::string_view name;
  std::string_view content_type;
};

constexpr std::array<Asset, 5> kAssets = {{
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"favicon-16x16.png", "image/png"},
}};

constexpr std::string_view kPage = R"(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>idgen REST API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
)";

std::vector<fs::path> DefaultDirs() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return dirs;
  const fs::path bin = exe.parent_path();
  dirs.push_back(bin / ".." / "share" / "idgen" / "swagger-ui-dist");
  dirs.push_back(bin / ".." / ".." / "tests" / "node" / "node_modules" / "swagger-ui-dist");
  return dirs;
}

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = std::move(s).str();
  return !in.bad();
}

}  // namespace

SwaggerUi SwaggerUi::Load(const std::string& dir) {
  SwaggerUi ui;
  std::vector<fs::path> candidates;
  if (dir.empty()) {
    candidates = DefaultDirs();
  } else {
    candidates.emplace_back(dir);
  }
  fs::path chosen;
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c / "swagger-ui-bundle.js", ec)) {
      chosen = fs::weakly_canonical(c, ec);
      if (ec) chosen = c;
      break;
    }
  }
  if (chosen.empty()) {
    std::string tried;
    for (const fs::path& c : candidates)
      absl::StrAppend(&tried, tried.empty() ? "" : ", ", c.string());
    ui.status_ = absl::UnavailableError(
        absl::StrCat("Swagger UI files not found (looked for swagger-ui-bundle.js in: ", tried,
                     "); run scripts/setup.sh or pass --swagger-ui-dir"));
    return ui;
  }
  ui.dir_ = chosen.string();
  for (const Asset& a : kAssets) {
    File f;
    f.content_type = std::string(a.content_type);
    if (!ReadFile(chosen / a.name, &f.body)) {
      ui.status_ = absl::UnavailableError(
          absl::StrCat("Swagger UI file ", std::string(a.name), " cannot be read in ", ui.dir_));
      ui.files_.clear();
      return ui;
    }
    ui.files_.emplace(std::string(a.name), std::move(f));
  }
  ui.page_ = std::string(kPage);
  return ui;
}

const SwaggerUi::File* SwaggerUi::Find(std::string_view name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace idgen::gateway
