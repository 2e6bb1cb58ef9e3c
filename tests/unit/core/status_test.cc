#include "dolphin/core/status.h"

#include "dolphin/core/result.h"
#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using testing::IsOkAndHolds;
using testing::StatusHasMessage;

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  DOLPHIN_ASSIGN_OR_RETURN(int h, Half(x));
  DOLPHIN_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckPositive(int x) {
  if (x <= 0) return InvalidArgumentError("not positive");
  return Status::Ok();
}

Status Both(int a, int b) {
  DOLPHIN_RETURN_IF_ERROR(CheckPositive(a));
  DOLPHIN_RETURN_IF_ERROR(CheckPositive(b).WithPrefix("b"));
  return Status::Ok();
}

TEST(StatusTest, OkIsCheapAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorsCarryCodeAndMessage) {
  Status s = NotFoundError("no such key");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: no such key");
  EXPECT_EQ(s.WithPrefix("bus get").message(), "bus get: no such key");
  EXPECT_EQ(ErrnoError("open x", ENOENT).message(), "open x: No such file or directory");
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusHasMessage("odd"));
  EXPECT_TRUE(Both(1, 2).ok());
  EXPECT_EQ(Both(1, -1).message(), "b: not positive");
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternalError) {
  Result<int> r(Status::Ok());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_EQ(r.value_or(7), 7);
}

}  // namespace
}  // namespace dolphin
