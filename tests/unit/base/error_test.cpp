// Base layer: errors carry their kind and formatted context; JSON escaping.
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/log.h"
#include "base/mapped_file.h"

namespace dsinfer {
namespace {

TEST(Error, CarriesKindAndMessage) {
  try {
    fail(ErrorKind::kBadFile, "{}: bad magic at offset {}", "x.gguf", 0);
    FAIL() << "fail() returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadFile);
    EXPECT_STREQ(e.what(), "x.gguf: bad magic at offset 0");
  }
}

TEST(JsonEscape, EscapesControlAndQuotes) {
  EXPECT_EQ(json_escape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
  EXPECT_EQ(json_escape("中文"), "中文");
  EXPECT_EQ(json_escape("\b\f\x1f"), "\\b\\f\\u001f");  // as Python json.dumps
}

TEST(MappedFile, MissingFileNamesPath) {
  try {
    MappedFile f("/nonexistent/model.gguf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos);
  }
}

}  // namespace
}  // namespace dsinfer
