// rfb_client_messages_support.hpp — what the rfb_client_messages_*_test.cpp files share:
// the categories a rule set removes (the test's own model, never the filter's
// classification), rule sets from three bits, and a driver that feeds a stream in pieces
// and checks the invariants that hold after every call.
//
// Header-only on purpose: tests/CMakeLists.txt builds each *_test.cpp alone, so there is
// no second translation unit to put definitions in. Each binary includes this once.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rfb/client_messages.hpp"
#include "rfb_test_support.hpp"

namespace vncgate::rfb::tests {

using kind = client_message_kind;

inline void append(bytes& a, const bytes& b) { a.insert(a.end(), b.begin(), b.end()); }
inline void put_s32(bytes& out, std::int32_t v) { put_u32(out, static_cast<std::uint32_t>(v)); }

// What a rule set removes, by category; the filter's own classification is not used.
enum class category { none, input, paste, control };

inline bool dropped_by(const filter_rules& r, category c) {
  switch (c) {
    case category::none: return false;
    case category::input: return r.drop_input;
    case category::paste: return r.drop_clipboard;
    case category::control: return r.drop_desktop_control;
  }
  return false;
}

inline filter_rules rules_from_bits(int bits) {
  filter_rules r;
  r.drop_input = (bits & 1) != 0;
  r.drop_clipboard = (bits & 2) != 0;
  r.drop_desktop_control = (bits & 4) != 0;
  return r;
}

// Feeds `stream` in pieces of the given sizes (the last piece takes the rest) and checks
// the invariants that hold after every call.
struct run_result {
  bytes output;
  std::uint64_t messages = 0;
  std::uint64_t input_messages = 0;
  std::size_t forward_calls = 0;
};

inline run_result feed_in_pieces(client_message_filter& f, const bytes& stream,
                                 const std::vector<std::size_t>& sizes) {
  run_result r;
  std::size_t pos = 0;
  std::size_t piece = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t dropped = 0;
  while (pos < stream.size()) {
    std::size_t n = piece < sizes.size() ? sizes[piece] : stream.size() - pos;
    n = std::min(n, stream.size() - pos);
    ++piece;
    const std::size_t before = r.output.size();
    const auto result = f.feed(byte_view(stream).subspan(pos, n), [&](byte_view b) {
      REQUIRE_FALSE(b.empty());
      ++r.forward_calls;
      r.output.insert(r.output.end(), b.begin(), b.end());
    });
    REQUIRE(result.has_value());
    REQUIRE(result->forwarded == r.output.size() - before);
    pos += n;
    forwarded += result->forwarded;
    dropped += result->dropped;
    r.messages += result->messages;
    r.input_messages += result->input_messages;
    REQUIRE(f.held_bytes() <= client_message_filter::max_held);
    REQUIRE(forwarded + dropped + f.held_bytes() == pos);  // -316 rewrites keep the size
  }
  REQUIRE(f.counters().bytes_forwarded == forwarded);
  REQUIRE(f.counters().bytes_dropped == dropped);
  return r;
}

inline std::vector<std::size_t> ones(std::size_t n) { return std::vector<std::size_t>(n, 1); }

}  // namespace vncgate::rfb::tests
