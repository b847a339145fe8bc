// StopChecker: matches inside one piece or across pieces, holds back partial matches only.
#include "engine/stop_checker.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace dsinfer::engine {
namespace {

TEST(StopChecker, NoStopsPassesThrough) {
  StopChecker c({});
  EXPECT_EQ(c.push("abc").emit, "abc");
  EXPECT_EQ(c.flush(), "");
}

TEST(StopChecker, MatchWithinOnePiece) {
  StopChecker c({"END"});
  auto r = c.push("helloENDworld");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.emit, "hello");
}

TEST(StopChecker, MatchAcrossPiecesHoldsBackPrefix) {
  StopChecker c({"###", "\n\n"});
  auto r = c.push("ab#");
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.emit, "ab");
  r = c.push("#");
  EXPECT_EQ(r.emit, "");
  r = c.push("#x");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.emit, "");
}

TEST(StopChecker, FalseAlarmIsReleased) {
  StopChecker c({"abc"});
  EXPECT_EQ(c.push("xa").emit, "x");
  EXPECT_EQ(c.push("b").emit, "");
  EXPECT_EQ(c.push("d").emit, "abd");
  EXPECT_EQ(c.push("a").emit, "");
  EXPECT_EQ(c.flush(), "a");
}

TEST(StopChecker, EarliestMatchWins) {
  StopChecker c({"cd", "b"});
  auto r = c.push("abcd");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.emit, "a");
}

}  // namespace
}  // namespace dsinfer::engine
