// The architecture registry: its names, errors for missing or unknown architectures, and facts read
// before a load that agree with the loaded model (llama, qwen2; deepseek2 in deepseek2_model_test).
#include "model/architecture.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/thread_pool.h"
#include "gguf/gguf_writer.h"
#include "support/fixtures.h"
#include "tiny_model.h"

namespace dsinfer::model {
namespace {

using ::testing::HasSubstr;

TEST(Architecture, RegistryNamesEveryArchitecture) {
  std::string names;
  for (const Architecture* a : architectures()) {
    names += std::string(a->name) + " ";
    EXPECT_NE(a->read_facts, nullptr);
    EXPECT_NE(a->create, nullptr);
  }
  EXPECT_EQ(names, "llama qwen2 deepseek2 ");
}

TEST(Architecture, MissingOrUnknownArchitectureIsAClearError) {
  {
    gguf::GgufWriter w;
    w.write(test::tiny_model_path("arch_none"),
            [](size_t, const gguf::TensorDecl&, std::vector<uint8_t>&) {});
  }
  try {
    architecture_of(*gguf::GgufFile::open(test::tiny_model_path("arch_none")));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadFile);
    EXPECT_THAT(e.what(), HasSubstr("general.architecture"));
  }
  {
    gguf::GgufWriter w;
    w.metadata().set("general.architecture", gguf::Value::from_string("mamba"));
    w.write(test::tiny_model_path("arch_mamba"),
            [](size_t, const gguf::TensorDecl&, std::vector<uint8_t>&) {});
  }
  try {
    read_architecture_facts(*gguf::GgufFile::open(test::tiny_model_path("arch_mamba")));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_THAT(e.what(),
                HasSubstr("'mamba' is not supported (supported: llama, qwen2, deepseek2)"));
  }
}

TEST(Architecture, FactsMatchTheLoadedModel) {
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  for (const char* arch : {"llama", "qwen2"}) {
    SCOPED_TRACE(arch);
    test::TinyModelSpec spec;
    spec.arch = arch;
    spec.n_ctx = 96;
    const std::string path = test::tiny_model_path(std::string("arch_facts_") + arch);
    test::write_tiny_model(path, spec);
    const std::shared_ptr<const gguf::GgufFile> file = gguf::GgufFile::open(path);
    const ArchitectureFacts facts = read_architecture_facts(*file);
    // K and V rows of n_head_kv heads of n_embd / n_head halves, per layer.
    EXPECT_EQ(facts.kv_bytes_per_token,
              spec.n_layer * 2 * spec.n_head_kv * (spec.n_embd / spec.n_head) * 2);
    EXPECT_EQ(facts.n_ctx_train, 96);
    ModelOptions opt;
    opt.kv_blocks = 4;
    const auto m = load_model(file, opt, ctx);
    EXPECT_EQ(m->info().kv_bytes_per_token, facts.kv_bytes_per_token);
    EXPECT_EQ(m->info().n_ctx_train, facts.n_ctx_train);
  }
}

}  // namespace
}  // namespace dsinfer::model
