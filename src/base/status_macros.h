// Copyright idgen authors.
//
// IDGEN_RETURN_IF_ERROR / IDGEN_ASSIGN_OR_RETURN: propagate an error Status
// to the caller in one line, the shape of abseil's internal macros (Debian's
// abseil 20220623 does not ship them).
//
//   IDGEN_RETURN_IF_ERROR(expr)
//     `expr` yields an absl::Status. If it is not OK, the enclosing function
//     returns it (the function must return absl::Status or absl::StatusOr<T>).
//
//   IDGEN_ASSIGN_OR_RETURN(lhs, expr)
//     `expr` yields an absl::StatusOr<T>. If it holds an error, the enclosing
//     function returns that Status; otherwise the value is moved into `lhs`,
//     which may be a declaration (`auto x`, `const Layout l`) or an existing
//     variable or member. `lhs` must not contain an unparenthesised comma
//     (write `std::pair<int, int>` through a `using` alias), and the macro is
//     a statement, not an expression: do not use it as the body of an
//     unbraced `if`.
//
// Both evaluate `expr` exactly once. They only pass an error on unchanged;
// when the caller must add context or change the code, write the `if` by
// hand.
//
// Example:
//   absl::StatusOr<ServerConfig> Load(const std::string& path) {
//     IDGEN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
//     IDGEN_RETURN_IF_ERROR(CheckSyntax(text));
//     return Parse(text);
//   }
#ifndef IDGEN_BASE_STATUS_MACROS_H_
#define IDGEN_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define IDGEN_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    if (::absl::Status idgen_status_ = (expr); !idgen_status_.ok()) { \
      return idgen_status_;                                           \
    }                                                                 \
  } while (false)

#define IDGEN_ASSIGN_OR_RETURN(lhs, expr) \
  IDGEN_ASSIGN_OR_RETURN_IMPL_(IDGEN_STATUS_CONCAT_(idgen_statusor_, __COUNTER__), lhs, expr)

// Implementation details; not for direct use.
#define IDGEN_STATUS_CONCAT_INNER_(a, b) a##b
#define IDGEN_STATUS_CONCAT_(a, b) IDGEN_STATUS_CONCAT_INNER_(a, b)
// `statusor` and `lhs` are declarators, which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define IDGEN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) {                                   \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = *std::move(statusor)
// NOLINTEND(bugprone-macro-parentheses)

#endif  // IDGEN_BASE_STATUS_MACROS_H_
