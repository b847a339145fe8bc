// API key extraction for both header schemes, constant-time matching, per-key usage counts.
#include <gtest/gtest.h>

#include "server/api_keys.h"
#include "server/usage_ledger.h"

namespace dsinfer::server {
namespace {

TEST(ApiKeys, PresentedKeyPerScheme) {
  EXPECT_EQ(presented_key("Bearer abc", "Bearer"), "abc");
  EXPECT_EQ(presented_key("DeepL-Auth-Key k:fx", "DeepL-Auth-Key"), "k:fx");
  EXPECT_EQ(presented_key("DeepL-Auth-Key k", "Bearer"), "");
  EXPECT_EQ(presented_key("Bearer", "Bearer"), "");
  EXPECT_EQ(presented_key("Bearerabc", "Bearer"), "");
  EXPECT_EQ(presented_key("", "Bearer"), "");
}

TEST(ApiKeys, MatchesOnlyWholeKeys) {
  const std::vector<std::string> keys = {"alpha", "beta-key"};
  EXPECT_TRUE(key_matches("alpha", keys));
  EXPECT_TRUE(key_matches("beta-key", keys));
  EXPECT_FALSE(key_matches("alph", keys));
  EXPECT_FALSE(key_matches("alphaa", keys));
  EXPECT_FALSE(key_matches("", keys));
  EXPECT_FALSE(key_matches("alpha", {}));
}

TEST(UsageLedger, CountsPerKey) {
  UsageLedger ledger;
  ledger.add("a", 5);
  ledger.add("a", 7);
  ledger.add("", 3);
  EXPECT_EQ(ledger.characters("a"), 12);
  EXPECT_EQ(ledger.characters(""), 3);
  EXPECT_EQ(ledger.characters("b"), 0);
}

}  // namespace
}  // namespace dsinfer::server
