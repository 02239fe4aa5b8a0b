// Copyright idgen authors.
//
// SwaggerUi: the files of npm's swagger-ui-dist that /docs needs, read once
// from a local directory (no CDN: /docs works without internet), and the
// page that loads them with /openapi.json.
//
// Directory: the --swagger-ui-dir flag, or else the first of
//   <dir of the idgen binary>/../share/idgen/swagger-ui-dist   (installed)
//   <dir of the idgen binary>/../../tests/node/node_modules/swagger-ui-dist
//                                                      (build tree: build/bin)
// that holds swagger-ui-bundle.js. If none does, or a file cannot be read,
// the gateway still runs and /docs answers 503 with the reason.
//
// Thread-safety: immutable after Load; Find may be called concurrently.
#ifndef IDGEN_GATEWAY_SWAGGER_UI_H_
#define IDGEN_GATEWAY_SWAGGER_UI_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace idgen::gateway {

class SwaggerUi {
 public:
  struct File {
    std::string content_type;
    std::string body;
  };

  // Loads from `dir`, or from the default places if `dir` is empty. Never
  // fails: status() says whether the files were found.
  static SwaggerUi Load(const std::string& dir);

  // OK, or UNAVAILABLE naming the directory and what is missing.
  const absl::Status& status() const { return status_; }
  const std::string& dir() const { return dir_; }

  // The /docs page (valid when status() is OK).
  const std::string& page() const { return page_; }
  // The file served as /docs/<name>, or nullptr.
  const File* Find(std::string_view name) const;

 private:
  absl::Status status_;
  std::string dir_;
  std::string page_;
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_SWAGGER_UI_H_
