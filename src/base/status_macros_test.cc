// Copyright idgen authors.
#include "src/base/status_macros.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace idgen {
namespace {

absl::Status Fails() { return absl::NotFoundError("missing"); }
absl::Status Succeeds() { return absl::OkStatus(); }

absl::Status ReturnsFirstError(int* reached) {
  IDGEN_RETURN_IF_ERROR(Succeeds());
  *reached = 1;
  IDGEN_RETURN_IF_ERROR(Fails());
  *reached = 2;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsTheFirstError) {
  int reached = 0;
  const absl::Status s = ReturnsFirstError(&reached);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "missing");
  EXPECT_EQ(reached, 1);
}

absl::StatusOr<int> ReturnIfErrorInStatusOr(bool fail) {
  IDGEN_RETURN_IF_ERROR(fail ? Fails() : Succeeds());
  return 7;
}

TEST(StatusMacrosTest, ReturnIfErrorWorksInFunctionsReturningStatusOr) {
  EXPECT_EQ(ReturnIfErrorInStatusOr(true).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*ReturnIfErrorInStatusOr(false), 7);
}

absl::StatusOr<std::unique_ptr<std::string>> MakeString(bool fail) {
  if (fail) return absl::InvalidArgumentError("bad");
  return std::make_unique<std::string>("moved");
}

absl::StatusOr<std::string> AssignsMoveOnlyValues(bool fail) {
  IDGEN_ASSIGN_OR_RETURN(std::unique_ptr<std::string> p, MakeString(fail));
  IDGEN_ASSIGN_OR_RETURN(auto q, MakeString(false));  // two in one scope
  return *p + "+" + *q;
}

TEST(StatusMacrosTest, AssignOrReturnMovesTheValueOut) {
  EXPECT_EQ(*AssignsMoveOnlyValues(false), "moved+moved");
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesTheError) {
  const absl::StatusOr<std::string> r = AssignsMoveOnlyValues(true);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "bad");
}

absl::Status AssignsToAnExistingVariable(int* out, int* calls) {
  auto produce = [calls]() -> absl::StatusOr<int> {
    ++*calls;
    return 42;
  };
  IDGEN_ASSIGN_OR_RETURN(*out, produce());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnEvaluatesOnceAndAssignsExistingLvalues) {
  int out = 0;
  int calls = 0;
  ASSERT_TRUE(AssignsToAnExistingVariable(&out, &calls).ok());
  EXPECT_EQ(out, 42);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace idgen
