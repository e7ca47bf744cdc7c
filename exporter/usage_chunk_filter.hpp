#pragma once
// With --openai-usage=inject the proxy adds stream_options.include_usage to
// a /v1 streaming request that did not ask for it; this removes from the SSE
// answer what that added, so the client receives what it would have without
// (and the StreamMeter, fed before this, still sees the token counts). As
// middleware/openai.go in Ollama writes them:
//   - the extra event before "data: [DONE]" whose "choices" is empty and
//     which carries "usage" (ChatWriter, CompleteWriter);
//   - on /v1/completions, the zero usage ("usage":{"prompt_tokens":0,...})
//     CompleteWriter adds to every other chunk.
// Both are recognised by the exact bytes Go's encoding/json writes; an event
// in another form passes unchanged (the client then sees a usage it did not
// ask for, which OpenAI clients ignore).
//
// Lines may be split anywhere across pieces; a line longer than max_line is
// passed through unexamined.
#include <cstddef>
#include <string>
#include <string_view>

namespace stackd::exporter {

class UsageChunkFilter {
 public:
  explicit UsageChunkFilter(std::size_t max_line = 64 * 1024) : max_line_(max_line) {}

  // Appends to `out` what the client gets of `piece`.
  void feed(std::string_view piece, std::string& out);
  // End of body: a last line without a newline.
  void finish(std::string& out);

 private:
  void line(std::string_view text, std::string& out);  // one whole line, newline included

  std::size_t max_line_;
  std::string partial_;
  bool passing_ = false;       // the current line grew past max_line_: passed through as it comes
  bool drop_separator_ = false;  // the blank line after a dropped event goes too
};

}  // namespace stackd::exporter
