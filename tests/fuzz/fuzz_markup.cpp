// Fuzz target: the bytes are an HTML or XML document (untrusted: it is the client's text) and
// how a model answered for its units. Parsing never fails; render() right after parse() gives
// the input back byte for byte; whatever the model writes — its placeholders kept, dropped or
// reordered — the translated document's skeleton (tags, comments, CDATA, entities) is the
// input's (the markup contract of markup.h).
//
// Input: byte 0 picks the options (bit 0: XML; bit 1: `b` is an ignore tag; bit 2: `p` does
// not split; bit 3: `span` splits); byte 1 picks, per unit (its bits in turn), whether the
// "model" returns the unit's own source (placeholders intact) or the bytes after the document;
// the document runs to the first 0x00 byte after byte 2, the "model's output" follows it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "translate/markup.h"

namespace {

using dsinfer::translate::MarkupDocument;
using dsinfer::translate::MarkupKind;
using dsinfer::translate::MarkupOptions;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  const uint8_t choices = data[1];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t nul = rest.find('\0');
  const std::string_view input = rest.substr(0, nul);
  const std::string_view model =
      nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);

  MarkupOptions options;
  options.kind = flags & 1 ? MarkupKind::kXml : MarkupKind::kHtml;
  if (flags & 2) options.ignore_tags.emplace_back("b");
  if (flags & 4) options.non_splitting_tags.emplace_back("p");
  if (flags & 8) options.splitting_tags.emplace_back("span");

  MarkupDocument doc = MarkupDocument::parse(input, options);
  if (doc.render() != input) __builtin_trap();  // an untranslated document is the input

  for (size_t u = 0; u < doc.unit_count(); ++u) {
    (void)doc.unit_plain_text(u);
    const bool own_source = (choices >> (u % 8)) & 1;
    const std::string answer = own_source ? doc.unit_source(u) : std::string(model);
    if (doc.fill(u, answer)) continue;
    // The repair path: the text runs translated one by one (here: each run's own text, or the
    // model's bytes for every run).
    auto runs = doc.unit_runs(u);
    if (!own_source) {
      for (auto& r : runs) r = std::string(model);
    }
    doc.fill_runs(u, runs);
  }
  const std::string out = doc.render();
  if (MarkupDocument::skeleton(out, options) != MarkupDocument::skeleton(input, options)) {
    __builtin_trap();
  }
  return 0;
}
