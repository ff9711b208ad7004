// rfb_client_messages_test.cpp — the client→server framer: golden bytes for every
// message kind (layouts from RFC 6143 §7.5 and rfbproto.rst), every split of every
// message, a model-based sweep over random streams and chunkings under every rule set,
// the ExtendedMouseButtons rewrite, streaming of large cut texts, and malformed heads.
//
// The expected output of the sweep is built by the test's own model of the protocol:
// the concatenation of the messages the rules keep, with -316 entries replaced as the
// header promises. It never asks the filter what a message is.
#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "rfb/client_messages.hpp"

using namespace vncgate::rfb;
using kind = client_message_kind;

namespace {

bytes hex(std::string_view h) {
  std::string digits;
  for (char c : h) {
    if (c != ' ') digits.push_back(c);
  }
  REQUIRE(digits.size() % 2 == 0);
  bytes out;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

void append(bytes& a, const bytes& b) { a.insert(a.end(), b.begin(), b.end()); }
void put_s32(bytes& out, std::int32_t v) { put_u32(out, static_cast<std::uint32_t>(v)); }

// What a rule set removes, by category; the filter's own classification is not used.
enum class category { none, input, paste, control };

bool dropped_by(const filter_rules& r, category c) {
  switch (c) {
    case category::none: return false;
    case category::input: return r.drop_input;
    case category::paste: return r.drop_clipboard;
    case category::control: return r.drop_desktop_control;
  }
  return false;
}

filter_rules rules_from_bits(int bits) {
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

run_result feed_in_pieces(client_message_filter& f, const bytes& stream,
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

std::vector<std::size_t> ones(std::size_t n) { return std::vector<std::size_t>(n, 1); }

// ---------------------------------------------------------------- golden messages

struct golden {
  const char* name;
  const char* wire;
  kind k;
  category c;
};

// Field values in the comments; layouts from RFC 6143 §7.5 and rfbproto.rst.
const golden golden_messages[] = {
    // SetPixelFormat: pad 3; 32 bpp, depth 24, little endian, true colour, maxima 255,
    // shifts 16/8/0, pad 3
    {"SetPixelFormat", "00 000000 20 18 00 01 00ff 00ff 00ff 10 08 00 000000",
     kind::set_pixel_format, category::none},
    // SetEncodings: pad, 3 encodings: Tight 7, Raw 0, DesktopSize -223
    {"SetEncodings", "02 00 0003 00000007 00000000 ffffff21", kind::set_encodings, category::none},
    {"SetEncodings, none", "02 00 0000", kind::set_encodings, category::none},
    // FramebufferUpdateRequest: incremental, 0,0 1024x768
    {"FramebufferUpdateRequest", "03 01 0000 0000 0400 0300", kind::framebuffer_update_request,
     category::none},
    // KeyEvent: down, pad 2, XK_Return
    {"KeyEvent", "04 01 0000 0000ff0d", kind::key_event, category::input},
    // PointerEvent: left button at 100,200
    {"PointerEvent", "05 01 0064 00c8", kind::pointer_event, category::input},
    // ClientCutText: pad 3, length 5, "hello"
    {"ClientCutText", "06 000000 00000005 68656c6c6f", kind::client_cut_text, category::paste},
    {"ClientCutText, empty", "06 000000 00000000", kind::client_cut_text, category::paste},
    // Extended clipboard caps: length -8, flags caps|request|peek|notify|provide|text,
    // text size 1 MiB
    {"extended clipboard caps", "06 000000 fffffff8 1f000001 00100000", kind::extended_clipboard,
     category::none},
    {"extended clipboard request", "06 000000 fffffffc 02000001", kind::extended_clipboard,
     category::none},
    {"extended clipboard peek", "06 000000 fffffffc 04000000", kind::extended_clipboard,
     category::none},
    {"extended clipboard notify", "06 000000 fffffffc 08000001", kind::extended_clipboard,
     category::paste},
    // provide text: zlib(u32 3, "hi\0") from Python's zlib.compress
    {"extended clipboard provide", "06 000000 ffffffed 10000001 789c63606060cec8640000021d00d5",
     kind::extended_clipboard, category::paste},
    // EnableContinuousUpdates: enable, 0,0 1024x768
    {"EnableContinuousUpdates", "96 01 0000 0000 0400 0300", kind::enable_continuous_updates,
     category::none},
    // ClientFence: pad 3, flags Request|BlockAfter|BlockBefore, 4 payload bytes
    {"ClientFence", "f8 000000 80000003 04 deadbeef", kind::client_fence, category::none},
    {"ClientFence, empty", "f8 000000 80000000 00", kind::client_fence, category::none},
    // xvp: pad, version 1, XVP_SHUTDOWN
    {"xvp", "fa 00 01 02", kind::xvp, category::control},
    // SetDesktopSize: pad, 1920x1080, 1 screen, pad; screen id 0 at 0,0 1920x1080 flags 0
    {"SetDesktopSize", "fb 00 0780 0438 01 00 00000000 0000 0000 0780 0438 00000000",
     kind::set_desktop_size, category::control},
    // gii version, big endian: length 2, version 1
    {"gii version", "fd 81 0002 0001", kind::gii_setup, category::none},
    // gii device destruction, little endian: length 4, origin 1
    {"gii destruction", "fd 03 0400 01000000", kind::gii_setup, category::none},
    // gii events, little endian: length 12, one PTR_BUTTON_EVENT (size 12, type 10 press,
    // origin 1, button 1)
    {"gii events", "fd 00 0c00 0c 0a 0000 01000000 01000000", kind::gii_events, category::input},
    // QEMU extended key event: down, keysym 'a', XT keycode 0x1e
    {"QEMU extended key event", "ff 00 0001 00000061 0000001e", kind::qemu_extended_key_event,
     category::input},
    {"QEMU audio enable", "ff 01 0000", kind::qemu_audio, category::none},
    {"QEMU audio disable", "ff 01 0001", kind::qemu_audio, category::none},
    // QEMU audio set format: S16, stereo, 44100 Hz
    {"QEMU audio set format", "ff 01 0002 03 02 0000ac44", kind::qemu_audio, category::none},
};

}  // namespace

TEST_CASE("rfb client filter: golden message of every kind under every rule set", "[rfb]") {
  const auto& g = GENERATE(from_range(std::begin(golden_messages), std::end(golden_messages)));
  const int bits = GENERATE(range(0, 8));
  const filter_rules rules = rules_from_bits(bits);
  INFO(g.name << ", rules " << bits);
  const bytes wire = hex(g.wire);
  const bool drop = dropped_by(rules, g.c);

  client_message_filter f(rules);
  bytes out;
  const auto r = f.feed(wire, out);
  REQUIRE(r.has_value());
  CHECK(r->messages == 1);
  CHECK(r->input_messages == (g.c == category::input ? 1u : 0u));
  CHECK(out == (drop ? bytes{} : wire));
  CHECK(r->forwarded == (drop ? 0 : wire.size()));
  CHECK(r->dropped == (drop ? wire.size() : 0));
  CHECK(f.at_message_boundary());
  CHECK(f.held_bytes() == 0);
  const auto index = static_cast<std::size_t>(g.k);
  for (std::size_t i = 0; i < client_message_kind_count; ++i) {
    CHECK(f.counters().seen[i] == (i == index ? 1u : 0u));
    CHECK(f.counters().dropped[i] == (i == index && drop ? 1u : 0u));
  }
  CHECK(is_input(g.k) == (g.c == category::input));
}

TEST_CASE("rfb client filter: every split of every golden message", "[rfb]") {
  const auto& g = GENERATE(from_range(std::begin(golden_messages), std::end(golden_messages)));
  const int bits = GENERATE(0, 7);
  const bytes wire = hex(g.wire);
  const auto split = GENERATE_COPY(range(std::size_t{1}, wire.size()));
  INFO(g.name << " split at " << split << ", rules " << bits);
  const filter_rules rules = rules_from_bits(bits);

  client_message_filter f(rules);
  const run_result r = feed_in_pieces(f, wire, {split});
  CHECK(r.output == (dropped_by(rules, g.c) ? bytes{} : wire));
  CHECK(r.messages == 1);
  CHECK(f.at_message_boundary());
}

TEST_CASE("rfb client filter: a message never waits for more than its head", "[rfb]") {
  // The QEMU type byte alone cannot say whether it is input: it is held, then passed on
  // in one piece with the rest.
  client_message_filter f(filter_rules{.drop_input = true});
  bytes out;
  REQUIRE(f.feed(hex("ff"), out).has_value());
  CHECK(out.empty());
  CHECK(f.held_bytes() == 1);
  CHECK_FALSE(f.at_message_boundary());
  REQUIRE(f.feed(hex("01 00"), out).has_value());
  CHECK(f.held_bytes() == 3);
  const auto r = f.feed(hex("00 04"), out);  // audio enable, then the first byte of a KeyEvent
  REQUIRE(r.has_value());
  CHECK(out == hex("ff 01 0000"));
  CHECK(r->forwarded == 4);
  CHECK(r->messages == 1);
  CHECK(f.held_bytes() == 1);
  const auto k = f.feed(hex("01 0000 00000061"), out);
  REQUIRE(k.has_value());
  CHECK(k->input_messages == 1);
  CHECK(k->dropped == 8);
  CHECK(out == hex("ff 01 0000"));
}

TEST_CASE("rfb client filter: a chunk with nothing dropped is forwarded in one piece", "[rfb]") {
  bytes stream;
  for (const auto& g : golden_messages) append(stream, hex(g.wire));
  client_message_filter f(filter_rules{});
  const run_result r = feed_in_pieces(f, stream, {});
  CHECK(r.output == stream);
  CHECK(r.forward_calls == 1);
  CHECK(r.messages == std::size(golden_messages));
}

TEST_CASE("rfb client filter: view-only keeps the picture updating", "[rfb]") {
  // What a viewer sends to start and keep a picture: all of it must pass.
  const bytes keep =
      hex("00 000000 20 18 00 01 00ff 00ff 00ff 10 08 00 000000"
          "02 00 0002 00000007 00000000"
          "03 00 0000 0000 0400 0300"
          "96 01 0000 0000 0400 0300"
          "f8 000000 80000000 00");
  bytes stream;
  bytes expected;
  for (int i = 0; i < 3; ++i) {
    append(stream, hex("04 01 0000 00000061 05 01 0010 0020"));
    append(stream, keep);
    append(expected, keep);
  }
  client_message_filter f(filter_rules{.drop_input = true, .drop_desktop_control = true});
  const run_result r = feed_in_pieces(f, stream, ones(stream.size()));
  CHECK(r.output == expected);
  CHECK(r.input_messages == 6);
  CHECK(f.counters().dropped[static_cast<std::size_t>(kind::key_event)] == 3);
  CHECK(f.counters().dropped[static_cast<std::size_t>(kind::pointer_event)] == 3);
  CHECK(f.counters().dropped[static_cast<std::size_t>(kind::framebuffer_update_request)] == 0);
}

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

TEST_CASE("rfb client filter: cut text above the limit", "[rfb]") {
  const bool extended = GENERATE(false, true);
  const std::uint32_t limit = GENERATE(16u, 1024u * 1024u);
  filter_rules rules;
  rules.max_cut_text = limit;
  const auto make = [&](std::uint32_t length) {
    bytes m = {6, 0, 0, 0};
    put_s32(m, extended ? -static_cast<std::int32_t>(length) : static_cast<std::int32_t>(length));
    if (extended) put_u32(m, 1u << 28);  // provide
    m.resize(8 + length, 'p');
    return m;
  };
  INFO("extended " << extended << ", limit " << limit);

  SECTION("at the limit it passes") {
    client_message_filter f(rules);
    bytes out;
    REQUIRE(f.feed(make(limit), out).has_value());
    CHECK(out == make(limit));
  }
  SECTION("above it, dropped by default and counted") {
    client_message_filter f(rules);
    bytes out;
    const bytes m = make(limit + 1);
    bytes stream = m;
    append(stream, hex("04 01 0000 00000061"));
    const auto r = f.feed(stream, out);
    REQUIRE(r.has_value());
    CHECK(out == hex("04 01 0000 00000061"));
    CHECK(r->dropped == m.size());
    CHECK(f.counters().oversized_cut_texts == 1);
  }
  SECTION("above it, the end of the session when so configured, as soon as the length is read") {
    rules.on_oversized_cut_text = oversized_cut_text::end_session;
    client_message_filter f(rules);
    bytes out;
    const auto r = f.feed(byte_view(make(limit + 1)).subspan(0, 8), out);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().fault == client_stream_fault::cut_text_too_long);
    CHECK(r.error().value == limit + 1);
    CHECK(r.error().limit == limit);
  }
}

// ---------------------------------------------------------------- malformed streams

TEST_CASE("rfb client filter: what it cannot frame ends the stream", "[rfb]") {
  using fault = client_stream_fault;
  struct row {
    const char* head;  // exactly the bytes that show the fault
    fault f;
    std::uint32_t value;
    std::uint32_t limit;
  };
  const auto r = GENERATE(values<row>({
      {"01", fault::unknown_message_type, 1, 0},   // SetColourMapEntries is server→client
      {"07", fault::unknown_message_type, 7, 0},   // UltraVNC FileTransfer
      {"08", fault::unknown_message_type, 8, 0},   // UltraVNC SetScale
      {"0b", fault::unknown_message_type, 11, 0},  // UltraVNC TextChat
      {"7f", fault::unknown_message_type, 127, 0},
      {"80", fault::unknown_message_type, 128, 0},
      {"f9", fault::unknown_message_type, 249, 0},
      {"fc", fault::unknown_message_type, 252, 0},  // tight
      {"fe", fault::unknown_message_type, 254, 0},
      {"02 00 0401", fault::too_many_encodings, 1025, 1024},
      {"02 00 ffff", fault::too_many_encodings, 65535, 1024},
      {"06 000000 ffffffff", fault::bad_extended_clipboard_length, 1, 0},
      {"06 000000 fffffffd", fault::bad_extended_clipboard_length, 3, 0},
      {"06 000000 fffffffc 00000000", fault::bad_extended_clipboard_action, 0, 0},
      {"06 000000 fffffffc 00000001", fault::bad_extended_clipboard_action, 1, 0},
      {"06 000000 fffffffc 06000000", fault::bad_extended_clipboard_action, 0x06000000,
       0},  // request|peek
      {"06 000000 fffffffc 12000001", fault::bad_extended_clipboard_action, 0x12000001,
       0},  // request|provide
      {"06 000000 fffffffc 20000000", fault::bad_extended_clipboard_action, 0x20000000,
       0},  // reserved
      {"06 000000 fffffff8 02000001", fault::bad_extended_clipboard_length, 8,
       4},  // request with data
      {"06 000000 fffffff8 04000000", fault::bad_extended_clipboard_length, 8,
       4},  // peek with data
      {"06 000000 fffffff8 08000001", fault::bad_extended_clipboard_length, 8,
       4},  // notify with data
      {"06 000000 fffffffc 01000001", fault::bad_extended_clipboard_length, 4,
       8},  // caps without its size
      {"06 000000 fffffff0 1f000003", fault::bad_extended_clipboard_length, 16,
       12},  // caps, 2 formats, 4 more
      {"f8 000000 00000000 41", fault::fence_payload_too_long, 65, 64},
      {"f8 000000 80000000 ff", fault::fence_payload_too_long, 255, 64},
      {"fb 00 0400 0300 00 00", fault::no_screens, 0, 0},
      {"fd 04 0000", fault::unknown_gii_submessage, 4, 0},
      {"fd 85 0000", fault::unknown_gii_submessage, 5, 0},
      {"ff 02", fault::unknown_qemu_submessage, 2, 0},
      {"ff ff", fault::unknown_qemu_submessage, 255, 0},
      {"ff 01 0003", fault::unknown_qemu_audio_operation, 3, 0},
  }));
  const int bits = GENERATE(0, 7);
  INFO(r.head << ", rules " << bits);
  const bytes good = hex("04 01 0000 00000061 03 01 0000 0000 0400 0300");
  const bytes bad = hex(r.head);
  const filter_rules rules = rules_from_bits(bits);
  const bytes good_out = rules.drop_input ? hex("03 01 0000 0000 0400 0300") : good;

  SECTION("in one chunk: the messages before it pass, no byte of it does") {
    bytes stream = good;
    append(stream, bad);
    append(stream, good);
    client_message_filter f(rules);
    bytes out;
    const auto e = f.feed(stream, out);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().fault == r.f);
    CHECK(e.error().value == r.value);
    CHECK(e.error().limit == r.limit);
    CHECK(out == good_out);
    CHECK_FALSE(f.at_message_boundary());
    const auto again = f.feed(good, out);  // the stream stays ended
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().fault == r.f);
    CHECK(out == good_out);
    CHECK_FALSE(describe(e.error()).empty());
  }
  SECTION("byte by byte: the last byte of the head, not later, shows it") {
    client_message_filter f(rules);
    bytes out;
    REQUIRE(f.feed(good, out).has_value());
    for (std::size_t i = 0; i + 1 < bad.size(); ++i) {
      REQUIRE(f.feed(byte_view(bad).subspan(i, 1), out).has_value());
    }
    const auto e = f.feed(byte_view(bad).subspan(bad.size() - 1), out);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().fault == r.f);
    CHECK(out == good_out);
  }
}

TEST_CASE("rfb client filter: bounds are inclusive", "[rfb]") {
  const auto wire = GENERATE(as<std::string>{},
                             "f8 000000 00000000 40",  // 64-byte fence payload
                             "fb 00 0400 0300 ff 00",  // 255 screens
                             "02 00 0400");            // 1024 encodings
  bytes stream = hex(wire);
  client_message_filter f(filter_rules{});
  bytes out;
  const auto r = f.feed(stream, out);
  REQUIRE(r.has_value());
  CHECK(r->messages == 1);
  CHECK_FALSE(f.at_message_boundary());  // the payload is still to come
  CHECK(f.held_bytes() == 0);
}

TEST_CASE("rfb client filter: describe names the fault and its numbers", "[rfb]") {
  using fault = client_stream_fault;
  CHECK(describe({fault::unknown_message_type, 7, 0}) == "client sent unknown message type 7");
  CHECK(describe({fault::too_many_encodings, 2000, 1024}) ==
        "client sent SetEncodings with 2000 encodings (limit 1024)");
  CHECK(describe({fault::cut_text_too_long, 2000000, 1048576}) ==
        "client sent cut text of 2000000 bytes (limit 1048576)");
  CHECK(describe({fault::bad_extended_clipboard_action, 0x12000001, 0}) ==
        "client sent an extended clipboard message with flags 0x12000001 (not exactly one action)");
  CHECK(describe({fault::fence_payload_too_long, 65, 64}) ==
        "client sent a fence with 65 payload bytes (limit 64)");
  CHECK(describe({fault::no_screens, 0, 0}) == "client sent SetDesktopSize with no screens");
  CHECK(to_string(fault::unknown_message_type) == "unknown_message_type");
  CHECK(to_string(kind::qemu_extended_key_event) == "qemu_extended_key_event");
}
