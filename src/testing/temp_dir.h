// Copyright idgen authors.
//
// TempDir: a fresh directory under /tmp for one test, removed with everything
// in it when the TempDir goes. Test code only; header-only, so any test target
// can include it.
//
//   TempDir dir("idgen-node-test-");   // /tmp/idgen-node-test-XXXXXX
//   auto leases = coord::FileLeaseProvider::Create(dir.path());
#ifndef IDGEN_TESTING_TEMP_DIR_H_
#define IDGEN_TESTING_TEMP_DIR_H_

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace idgen::testing {

class TempDir {
 public:
  // Aborts when /tmp cannot take a directory: no test could go on.
  explicit TempDir(std::string_view prefix) : path_("/tmp/" + std::string(prefix) + "XXXXXX") {
    if (::mkdtemp(path_.data()) == nullptr) {  // POSIX, declared by <cstdlib> here
      std::perror("TempDir: mkdtemp");
      std::abort();
    }
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace idgen::testing

#endif  // IDGEN_TESTING_TEMP_DIR_H_
