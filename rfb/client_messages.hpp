// client_messages.hpp — framing of the client→server RFB stream (after ClientInit), so
// the gateway can drop what a session may not send: input in view-only sessions,
// pasted clipboard where the clipboard rule blocks it.
//
// Contract:
//   - One client_message_filter per session and direction client→server, fed in stream
//     order with whatever the socket returned: chunks may split a message anywhere,
//     even inside its header. Not thread-safe; never blocks; never throws on input;
//     never allocates (the `bytes&` overload grows the caller's vector, nothing else).
//   - It streams: only a message head (at most max_held bytes: the fixed part up to and
//     including its length and decision fields) or one SetEncodings entry is ever held
//     across feed() calls. Payloads (cut text, encodings, screens) are passed on or
//     skipped as they arrive; a dropped 1 MiB paste is never stored.
//   - Each feed() hands the bytes to pass on to `forward(byte_view)`, in stream order,
//     zero or more calls. A span points into `in` or into the filter and is valid only
//     during that call: copy it. The bytes of a dropped message never reach `forward`,
//     not even its head, and neither does any byte of a message the filter rejects.
//     If `forward` throws, the exception propagates and the filter must be discarded.
//   - A type, subtype or length the filter cannot frame exactly as the server will is an
//     error: dropping bytes it cannot frame would desynchronise the stream, forwarding
//     them blindly would let a client hide input inside them. After an error every
//     feed() returns the same error; the gateway ends the session with describe(e).
//   - It frames as TigerVNC's Xvnc, libvncserver and QEMU do (rfbproto.rst, RFC 6143
//     §7.5); where they differ, it demands the form every one of them reads alike:
//     Xvnc reads only the flags (and caps sizes) of extended-clipboard caps, request,
//     peek and notify messages, so those must be exactly that long.
//
// One rewrite keeps the framing unambiguous without parsing the server→client stream.
// ExtendedMouseButtons (pseudo-encoding -316) makes a PointerEvent with the top mask
// bit 7 bytes long, but only on servers that support it; a hostile client could send
// 7-byte events to a server that reads 6 and hide a message from the filter in them.
// In a session with any drop rule, the filter replaces each -316 in SetEncodings by a
// copy of the entry before it (by Raw, 0, when it is the first), so no server enables
// the extension and every PointerEvent is 6 bytes; such sessions lose the mouse
// buttons beyond the eighth (forward). Sessions without drop rules keep the extension,
// and the filter follows the client's last SetEncodings, as the servers do. Nothing
// else is changed: every other forwarded byte is the client's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "rfb/codec.hpp"

namespace vncgate::rfb {

namespace client_message_type {
inline constexpr std::uint8_t set_pixel_format = 0;             // 20 bytes
inline constexpr std::uint8_t set_encodings = 2;                // 4 + 4n, n u16
inline constexpr std::uint8_t framebuffer_update_request = 3;   // 10
inline constexpr std::uint8_t key_event = 4;                    // 8
inline constexpr std::uint8_t pointer_event = 5;                // 6 (7 with ExtendedMouseButtons)
inline constexpr std::uint8_t client_cut_text = 6;              // 8 + |s32 length|
inline constexpr std::uint8_t enable_continuous_updates = 150;  // 10
inline constexpr std::uint8_t client_fence = 248;               // 9 + length (<= 64)
inline constexpr std::uint8_t xvp = 250;                        // 4
inline constexpr std::uint8_t set_desktop_size = 251;           // 8 + 16n, n u8
inline constexpr std::uint8_t gii = 253;                        // 4 + EU16 length
inline constexpr std::uint8_t qemu = 255;                       // 2 + per submessage
}  // namespace client_message_type

inline constexpr std::uint32_t pseudo_encoding_extended_mouse_buttons = 0xFFFFFEC4;  // -316
inline constexpr std::uint32_t pseudo_encoding_desktop_name = 0xFFFFFECD;            // -307

// What a message is, for counters and drop decisions.
enum class client_message_kind : std::uint8_t {
  set_pixel_format,
  set_encodings,
  framebuffer_update_request,
  key_event,           // input
  pointer_event,       // input
  client_cut_text,     // paste-in (Latin-1 text, non-negative length)
  extended_clipboard,  // negative length; notify/provide are paste-in, caps/request/peek are not
  enable_continuous_updates,
  client_fence,
  xvp,  // shutdown / reboot / reset of the target machine
  set_desktop_size,
  gii_events,               // gii submessage 0, event injection: input
  gii_setup,                // gii version, device creation and destruction
  qemu_extended_key_event,  // input
  qemu_audio,
};
inline constexpr std::size_t client_message_kind_count = 15;
std::string_view to_string(client_message_kind k) noexcept;  // snake_case, for metric labels
bool is_input(client_message_kind k) noexcept;               // key, pointer, QEMU key, gii events

// What a cut text above max_cut_text does. It can always be framed, so dropping it keeps
// the stream intact; clients send their clipboard on their own when the user copies
// something locally, so ending the session would punish a copy, not a paste.
enum class oversized_cut_text : std::uint8_t { drop, end_session };

struct filter_rules {
  bool drop_input = false;            // KeyEvent, PointerEvent, QEMU extended key, gii events
  bool drop_clipboard = false;        // ClientCutText, extended clipboard notify and provide
  bool drop_desktop_control = false;  // SetDesktopSize, xvp; view-only sets this and drop_input
  // Applies to |length| of ClientCutText, plain or extended, whether forwarded or not.
  // libvncserver closes the connection above 1 MiB; Xvnc ignores more than 256 KiB.
  std::uint32_t max_cut_text = 1024 * 1024;
  oversized_cut_text on_oversized_cut_text = oversized_cut_text::drop;
};

enum class client_stream_fault : std::uint8_t {
  unknown_message_type,           // value: the type byte
  unknown_qemu_submessage,        // value: the submessage type
  unknown_qemu_audio_operation,   // value: the operation
  unknown_gii_submessage,         // value: the submessage type (endian bit cleared)
  too_many_encodings,             // value: the count, limit: max_encodings
  cut_text_too_long,              // value: |length|, limit: max_cut_text (end_session only)
  bad_extended_clipboard_length,  // value: |length|, limit: the length the flags require (0: >= 4)
  bad_extended_clipboard_action,  // value: the flags (no action, or several without caps)
  fence_payload_too_long,         // value: the length, limit: 64
  no_screens,                     // SetDesktopSize with zero screens
};
std::string_view to_string(client_stream_fault f) noexcept;  // snake_case, for metric labels

struct filter_error {
  client_stream_fault fault = client_stream_fault::unknown_message_type;
  std::uint32_t value = 0;
  std::uint32_t limit = 0;
};
// The reason the gateway gives the user and the audit log, e.g.
// "client sent unknown message type 7". Contains only numbers from the header.
std::string describe(const filter_error& e);

// What one feed() did. Messages are counted when their head is complete, i.e. when the
// filter has decided what to do with them.
struct feed_result {
  std::size_t forwarded = 0;   // bytes handed to `forward`
  std::size_t dropped = 0;     // bytes dropped (may include bytes held from earlier calls)
  std::uint32_t messages = 0;  // messages recognised
  // Of which input (is_input), forwarded or dropped: what resets the idle timer.
  std::uint32_t input_messages = 0;
};

struct client_message_counters {
  std::array<std::uint64_t, client_message_kind_count> seen{};     // by kind
  std::array<std::uint64_t, client_message_kind_count> dropped{};  // by kind
  std::uint64_t bytes_forwarded = 0;
  std::uint64_t bytes_dropped = 0;
  std::uint64_t oversized_cut_texts = 0;  // dropped because above max_cut_text
  std::uint64_t encodings_rewritten = 0;  // -316 entries replaced (see above)
};

class client_message_filter {
 public:
  static constexpr std::size_t max_held = 20;           // SetPixelFormat is the longest head
  static constexpr std::uint32_t max_encodings = 1024;  // clients send about 40
  static constexpr std::uint32_t max_fence_payload = 64;

  explicit client_message_filter(filter_rules rules) noexcept;

  // Forward: callable as forward(byte_view).
  template <class Forward>
  expected<feed_result, filter_error> feed(byte_view in, Forward&& forward) {
    using target = std::remove_reference_t<Forward>;
    return feed_impl(
        in, [](void* context, byte_view bytes) { (*static_cast<target*>(context))(bytes); },
        const_cast<void*>(static_cast<const void*>(std::addressof(forward))));
  }
  // Appends the bytes to pass on to `out`.
  expected<feed_result, filter_error> feed(byte_view in, bytes& out);

  const filter_rules& rules() const noexcept { return rules_; }
  const client_message_counters& counters() const noexcept { return counters_; }
  std::size_t held_bytes() const noexcept;    // bytes kept from earlier calls, <= max_held
  bool at_message_boundary() const noexcept;  // no message begun and unfinished
  // The client's last complete SetEncodings named DesktopName (-307): the server may
  // rename the desktop with a FramebufferUpdate (see rfb/server_messages.hpp).
  bool client_accepts_desktop_name() const noexcept { return desktop_name_; }

 private:
  using forward_fn = void (*)(void* context, byte_view bytes);
  class output;
  enum class phase : std::uint8_t { type, head, entries, tail, failed };
  enum class step : std::uint8_t { more, complete, failed };

  expected<feed_result, filter_error> feed_impl(byte_view in, forward_fn fn, void* context);
  step parse_head();
  step need(std::size_t size);
  step complete(client_message_kind kind, bool drop, std::uint64_t tail);
  step fail(client_stream_fault fault, std::uint32_t value, std::uint32_t limit = 0);
  step parse_cut_text();
  void finish_entry(output& out, bool held, std::size_t begin, std::size_t end);

  filter_rules rules_;
  bool neutralise_extended_mouse_;  // any drop rule: see the header comment
  bool extended_mouse_ = false;     // the last SetEncodings enabled ExtendedMouseButtons
  bool desktop_name_ = false;       // the last SetEncodings named DesktopName

  phase phase_ = phase::type;
  std::array<std::uint8_t, max_held> head_{};  // the head, or the current encoding entry
  std::size_t have_ = 0;
  std::size_t need_ = 0;
  client_message_kind kind_ = client_message_kind::set_pixel_format;
  bool drop_ = false;
  std::uint64_t tail_left_ = 0;
  std::uint32_t entries_left_ = 0;
  bool entry_seen_ = false;  // an entry of this SetEncodings was passed on
  bool entries_enable_extended_mouse_ = false;
  bool entries_enable_desktop_name_ = false;
  std::array<std::uint8_t, 4> previous_entry_{};  // as passed on
  filter_error error_{};
  client_message_counters counters_;
};

}  // namespace vncgate::rfb
