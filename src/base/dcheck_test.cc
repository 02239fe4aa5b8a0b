// Copyright idgen authors.
#include "src/base/dcheck.h"

#include "gtest/gtest.h"

namespace idgen {
namespace {

TEST(DCheckTest, TrueConditionPasses) {
  int x = 1;
  IDGEN_DCHECK(x == 1);
  SUCCEED();
}

#if IDGEN_DCHECK_IS_ON
TEST(DCheckDeathTest, FalseConditionAbortsWithTheCondition) {
  const int x = 1;
  EXPECT_DEATH(IDGEN_DCHECK(x == 2), "IDGEN_DCHECK failed: x == 2");
}
#else
TEST(DCheckTest, CompiledOutConditionIsNotEvaluated) {
  int evaluations = 0;
  IDGEN_DCHECK(++evaluations > 0);
  EXPECT_EQ(evaluations, 0);
}
#endif

}  // namespace
}  // namespace idgen
