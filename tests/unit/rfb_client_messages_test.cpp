// rfb_client_messages_test.cpp — the client→server framer, message by message: golden
// bytes for every message kind (layouts from RFC 6143 §7.5 and rfbproto.rst) under every
// rule set, every split of every message, holding no more than a head, the cut-text
// limit, and the malformed heads that end the stream. Random streams, the
// ExtendedMouseButtons rewrite and streaming of large cut texts are in
// rfb_client_messages_stream_test.cpp.
#include <catch2/catch.hpp>

#include <iterator>
#include <string>
#include <vector>

#include "rfb/client_messages.hpp"
#include "rfb_client_messages_support.hpp"
#include "rfb_test_support.hpp"

using namespace vncgate::rfb;
using namespace vncgate::rfb::tests;

namespace {

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

// ---------------------------------------------------------------- cut-text limit

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
