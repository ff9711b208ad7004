// rfb_client_messages_stream_test.cpp — the client→server framer over whole streams: a
// model-based sweep over random streams and chunkings under every rule set, the
// ExtendedMouseButtons rewrite, and large cut texts skipped or streamed through as they
// arrive. The cut-text limit is in rfb_client_messages_test.cpp.
//
// The expected output of the sweep is built by the test's own model of the protocol:
// the concatenation of the messages the rules keep, with -316 entries replaced as the
// header promises. It never asks the filter what a message is.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <random>
#include <vector>

#include "rfb/client_messages.hpp"
#include "rfb_client_messages_support.hpp"
#include "rfb_test_support.hpp"

using namespace vncgate::rfb;
using namespace vncgate::rfb::tests;

// ---------------------------------------------------------------- model-based sweep

namespace {

constexpr std::uint32_t sweep_cut_limit = 300;
constexpr std::int32_t extended_mouse_buttons = -316;

// Builds a random stream of valid messages and, independently of the filter, what must
// come out of it and what the counters must say.
class stream_model {
 public:
  stream_model(filter_rules rules, std::uint32_t seed)
      : rules_(rules),
        neutralise_(rules.drop_input || rules.drop_clipboard || rules.drop_desktop_control),
        rng_(seed) {}

  bytes stream;
  bytes expected;
  client_message_counters counters;
  std::uint64_t messages = 0;
  std::uint64_t inputs = 0;

  void add_random_message() {
    bytes m;
    switch (pick(0, 13)) {
      case 0:
        m = {0};
        append(m, noise(19));
        return add(kind::set_pixel_format, category::none, m);
      case 1: return add_set_encodings();
      case 2:
        m = {3};
        append(m, noise(9));
        return add(kind::framebuffer_update_request, category::none, m);
      case 3:
        m = {4};
        append(m, noise(7));
        return add(kind::key_event, category::input, m);
      case 4: {
        const auto mask = static_cast<std::uint8_t>(pick(0, 255));
        m = {5, mask};
        // The server reads 7 bytes only after a SetEncodings that asked for the extension.
        append(m, noise(extended_mouse_ && (mask & 0x80) ? 5 : 4));
        return add(kind::pointer_event, category::input, m);
      }
      case 5: return add_cut_text();
      case 6: return add_extended_clipboard();
      case 7:
        m = {150};
        append(m, noise(9));
        return add(kind::enable_continuous_updates, category::none, m);
      case 8: {
        const auto length = static_cast<std::uint8_t>(pick(0, 64));
        m = {248, 0, 0, 0};
        append(m, noise(4));
        m.push_back(length);
        append(m, noise(length));
        return add(kind::client_fence, category::none, m);
      }
      case 9:
        m = {250, 0, 1, static_cast<std::uint8_t>(pick(2, 4))};
        return add(kind::xvp, category::control, m);
      case 10: {
        const auto screens = static_cast<std::uint8_t>(pick(0, 9) == 0 ? 255 : pick(1, 4));
        m = {251, 0};
        append(m, noise(4));
        m.push_back(screens);
        m.push_back(0);
        append(m, noise(16u * screens));
        return add(kind::set_desktop_size, category::control, m);
      }
      case 11: {
        const auto subtype = static_cast<std::uint8_t>(pick(0, 3));
        const bool big_endian = pick(0, 1) == 1;
        const auto length =
            static_cast<std::uint16_t>(pick(0, 3) == 0 ? pick(0, 2000) : pick(0, 60));
        m = {253, static_cast<std::uint8_t>(subtype | (big_endian ? 0x80 : 0))};
        if (big_endian) {
          put_u16(m, length);
        } else {
          m.push_back(static_cast<std::uint8_t>(length));
          m.push_back(static_cast<std::uint8_t>(length >> 8));
        }
        append(m, noise(length));
        return add(subtype == 0 ? kind::gii_events : kind::gii_setup,
                   subtype == 0 ? category::input : category::none, m);
      }
      case 12:
        m = {255, 0};
        append(m, noise(10));
        return add(kind::qemu_extended_key_event, category::input, m);
      default: {
        const auto operation = static_cast<std::uint16_t>(pick(0, 2));
        m = {255, 1};
        put_u16(m, operation);
        if (operation == 2) append(m, noise(6));
        return add(kind::qemu_audio, category::none, m);
      }
    }
  }

 private:
  std::uint32_t pick(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }
  bytes noise(std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(pick(0, 255));
    return b;
  }

  void add(kind k, category c, const bytes& wire, bool oversized = false,
           const bytes* forwarded = nullptr) {
    const bool drop = oversized || dropped_by(rules_, c);
    append(stream, wire);
    if (!drop) append(expected, forwarded != nullptr ? *forwarded : wire);
    const auto index = static_cast<std::size_t>(k);
    ++counters.seen[index];
    if (drop) ++counters.dropped[index];
    if (oversized) ++counters.oversized_cut_texts;
    ++messages;
    if (c == category::input) ++inputs;
  }

  void add_set_encodings() {
    const std::uint32_t count = pick(0, 15) == 0 ? 1024 : pick(0, 40);
    bytes wire = {2, 0};
    put_u16(wire, static_cast<std::uint16_t>(count));
    bytes forwarded = wire;
    bool asks_extension = false;
    std::int32_t previous = 0;  // Raw stands in for a -316 in first place
    for (std::uint32_t i = 0; i < count; ++i) {
      std::int32_t e = 0;
      switch (pick(0, 5)) {
        case 0: e = extended_mouse_buttons; break;
        case 1: e = static_cast<std::int32_t>(pick(0, 0xFFFFFFFFu)); break;
        case 2: e = static_cast<std::int32_t>(pick(0, 20)); break;
        default: e = -static_cast<std::int32_t>(pick(1, 800)); break;
      }
      put_s32(wire, e);
      if (e == extended_mouse_buttons && neutralise_) {
        ++counters.encodings_rewritten;
        e = previous;
      } else if (e == extended_mouse_buttons) {
        asks_extension = true;
      }
      put_s32(forwarded, e);
      previous = e;
    }
    add(kind::set_encodings, category::none, wire, false, &forwarded);
    extended_mouse_ = asks_extension;
  }

  std::uint32_t cut_length() {
    switch (pick(0, 4)) {
      case 0: return 0;
      case 1: return pick(1, 40);
      case 2: return sweep_cut_limit;
      case 3: return sweep_cut_limit + pick(1, 500);  // oversized: dropped
      default: return pick(0, sweep_cut_limit);
    }
  }

  void add_cut_text() {
    const std::uint32_t length = cut_length();
    bytes m = {6, 0, 0, 0};
    put_u32(m, length);
    append(m, noise(length));
    add(kind::client_cut_text, category::paste, m, length > sweep_cut_limit);
  }

  void add_extended_clipboard() {
    const std::uint32_t formats = pick(0, 0xFFFF);
    std::uint32_t flags = 0;
    std::uint32_t length = 4;
    category c = category::none;
    switch (pick(0, 5)) {
      case 0:  // caps, advertising any actions, one size per format
        flags = (1u << 24) | (pick(0, 31) << 24) | formats;
        length = 4 + 4 * static_cast<std::uint32_t>(std::popcount(formats));
        break;
      case 1: flags = (1u << 25) | formats; break;  // request
      case 2: flags = 1u << 26; break;              // peek
      case 3:                                       // notify
        flags = (1u << 27) | formats;
        c = category::paste;
        break;
      default:  // provide, some above the limit
        flags = (1u << 28) | formats;
        length = std::max<std::uint32_t>(4, cut_length());
        c = category::paste;
        break;
    }
    bytes m = {6, 0, 0, 0};
    put_s32(m, -static_cast<std::int32_t>(length));
    put_u32(m, flags);
    append(m, noise(length - 4));
    add(kind::extended_clipboard, c, m, length > sweep_cut_limit);
  }

  filter_rules rules_;
  bool neutralise_;
  bool extended_mouse_ = false;
  std::mt19937 rng_;
};

}  // namespace

TEST_CASE("rfb client filter: random streams in random chunks under every rule set", "[rfb]") {
  const int bits = GENERATE(range(0, 8));
  const std::uint32_t seed = GENERATE(1u, 2u, 3u, 4u);
  const int chunking = GENERATE(0, 1, 2, 3);
  INFO("rules " << bits << ", seed " << seed << ", chunking " << chunking);
  filter_rules rules = rules_from_bits(bits);
  rules.max_cut_text = sweep_cut_limit;

  stream_model model(rules, seed);
  for (int i = 0; i < 300; ++i) model.add_random_message();

  std::vector<std::size_t> sizes;
  std::mt19937 rng(seed * 7919u + static_cast<std::uint32_t>(chunking));
  switch (chunking) {
    case 0: break;  // all at once
    case 1: sizes = ones(model.stream.size()); break;
    case 2:
      while (sizes.size() < model.stream.size())
        sizes.push_back(std::uniform_int_distribution<std::size_t>(1, 3)(rng));
      break;
    default:
      while (sizes.size() < model.stream.size())
        sizes.push_back(std::uniform_int_distribution<std::size_t>(1, 600)(rng));
      break;
  }

  client_message_filter f(rules);
  const run_result r = feed_in_pieces(f, model.stream, sizes);
  REQUIRE(r.output.size() == model.expected.size());
  CHECK(r.output == model.expected);
  CHECK(r.messages == model.messages);
  CHECK(r.input_messages == model.inputs);
  CHECK(f.at_message_boundary());
  CHECK(f.counters().seen == model.counters.seen);
  CHECK(f.counters().dropped == model.counters.dropped);
  CHECK(f.counters().oversized_cut_texts == model.counters.oversized_cut_texts);
  CHECK(f.counters().encodings_rewritten == model.counters.encodings_rewritten);
  CHECK(f.counters().bytes_forwarded == model.expected.size());
  CHECK(f.counters().bytes_dropped == model.stream.size() - model.expected.size());
}

// ---------------------------------------------------------------- ExtendedMouseButtons

TEST_CASE(
    "rfb client filter: without drop rules the client's SetEncodings decides the PointerEvent size",
    "[rfb]") {
  const bytes stream =
      hex("02 00 0002 00000007 fffffec4"  // Tight, ExtendedMouseButtons
          "05 80 0010 0020 01"            // extended PointerEvent: 7 bytes
          "04 01 0000 00000061"
          "02 00 0001 00000007"  // the extension is off again
          "05 80 0010 0020"      // 6 bytes
          "04 00 0000 00000061");
  const auto sizes =
      GENERATE(as<std::vector<std::size_t>>{}, std::vector<std::size_t>{},
               std::vector<std::size_t>(60, 1), std::vector<std::size_t>{13, 1, 1, 9});
  client_message_filter f(filter_rules{});
  const run_result r = feed_in_pieces(f, stream, sizes);
  CHECK(r.output == stream);
  CHECK(f.counters().seen[static_cast<std::size_t>(kind::pointer_event)] == 2);
  CHECK(f.counters().seen[static_cast<std::size_t>(kind::key_event)] == 2);
  CHECK(f.counters().encodings_rewritten == 0);
  CHECK(f.at_message_boundary());
}

TEST_CASE("rfb client filter: with a drop rule ExtendedMouseButtons is never enabled", "[rfb]") {
  const int bits = GENERATE(1, 2, 4, 7);
  const filter_rules rules = rules_from_bits(bits);
  struct row {
    const char* in;
    const char* out;
    std::uint64_t rewritten;
  };
  const auto r = GENERATE(values<row>({
      {"02 00 0002 00000007 fffffec4", "02 00 0002 00000007 00000007",
       1},  // copy of the entry before
      {"02 00 0002 fffffec4 00000007", "02 00 0002 00000000 00000007", 1},  // first: Raw
      {"02 00 0001 fffffec4", "02 00 0001 00000000", 1},
      {"02 00 0003 ffffff21 fffffec4 fffffec4", "02 00 0003 ffffff21 ffffff21 ffffff21", 2},
      {"02 00 0002 fffffec5 fffffec3", "02 00 0002 fffffec5 fffffec3", 0},  // -315, -317 untouched
  }));
  INFO(r.in << ", rules " << bits);
  const bytes in = hex(r.in);
  const bytes expected = hex(r.out);
  const auto chunk = GENERATE(std::size_t{1}, 3, 5, 100);
  std::vector<std::size_t> sizes(in.size(), chunk);

  client_message_filter f(rules);
  const run_result result = feed_in_pieces(f, in, sizes);
  CHECK(result.output == expected);
  CHECK(f.counters().encodings_rewritten == r.rewritten);

  // So every PointerEvent is 6 bytes, whatever its top mask bit: the next byte is a message.
  bytes out;
  const auto p = f.feed(hex("05 80 0010 0020 03 00 0000 0000 0010 0010"), out);
  REQUIRE(p.has_value());
  CHECK(p->messages == 2);
  CHECK(f.counters().seen[static_cast<std::size_t>(kind::framebuffer_update_request)] == 1);
}

// ---------------------------------------------------------------- large cut texts

TEST_CASE("rfb client filter: a dropped 1 MiB paste is skipped, never stored", "[rfb]") {
  filter_rules rules{.drop_clipboard = true};
  rules.max_cut_text = 2 * 1024 * 1024;
  client_message_filter f(rules);
  bytes head = hex("06 000000 00100000");
  bytes out;
  REQUIRE(f.feed(head, out).has_value());
  const bytes chunk(4096, 'x');
  for (int i = 0; i < 256; ++i) {
    const auto r = f.feed(chunk, out);
    REQUIRE(r.has_value());
    REQUIRE(r->dropped == chunk.size());
    REQUIRE(f.held_bytes() == 0);
  }
  CHECK(out.empty());
  CHECK(f.at_message_boundary());
  REQUIRE(f.feed(hex("04 01 0000 00000061"), out).has_value());
  CHECK(out == hex("04 01 0000 00000061"));
  CHECK(f.counters().bytes_dropped == 8 + 1024 * 1024);
}

TEST_CASE("rfb client filter: a forwarded paste streams through as it arrives", "[rfb]") {
  client_message_filter f(filter_rules{.drop_input = true});
  bytes out;
  REQUIRE(f.feed(hex("06 000000 0000 20"), out).has_value());  // length 8192, split in the length
  CHECK(out.empty());
  CHECK(f.held_bytes() == 7);
  REQUIRE(f.feed(hex("00 41 42"), out).has_value());
  CHECK(out == hex("06 000000 00002000 41 42"));
  const bytes rest(8190, 'z');
  REQUIRE(f.feed(byte_view(rest).subspan(0, 100), out).has_value());
  CHECK(out.size() == 8 + 2 + 100);
  REQUIRE(f.feed(byte_view(rest).subspan(100), out).has_value());
  CHECK(out.size() == 8 + 8192);
  CHECK(f.at_message_boundary());
}

TEST_CASE("rfb client filter: DesktopName support follows the last complete SetEncodings", "[rfb]") {
  client_message_filter f(filter_rules{.drop_input = true});
  bytes out;
  CHECK_FALSE(f.client_accepts_desktop_name());
  // Raw, DesktopName (-307), split inside the second entry: not yet applied.
  REQUIRE(f.feed(hex("02 00 0002 00000000 ffff"), out).has_value());
  CHECK_FALSE(f.client_accepts_desktop_name());
  REQUIRE(f.feed(hex("fecd"), out).has_value());
  CHECK(f.client_accepts_desktop_name());
  // A later SetEncodings without it takes it back; an empty one too.
  REQUIRE(f.feed(hex("02 00 0001 00000007"), out).has_value());
  CHECK_FALSE(f.client_accepts_desktop_name());
  REQUIRE(f.feed(hex("02 00 0001 fffffecd"), out).has_value());
  CHECK(f.client_accepts_desktop_name());
  REQUIRE(f.feed(hex("02 00 0000"), out).has_value());
  CHECK_FALSE(f.client_accepts_desktop_name());
}
