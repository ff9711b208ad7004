// client_messages.cpp — the client→server framer: a head is collected (and held only
// when a chunk ends inside it), judged, then passed on or dropped with its payload.
#include "rfb/client_messages.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdio>

namespace vncgate::rfb {
namespace {

using kind = client_message_kind;

// Extended clipboard flags (rfbproto.rst, Extended Clipboard Pseudo-Encoding).
constexpr std::uint32_t clipboard_formats = 0x0000FFFF;
constexpr std::uint32_t clipboard_actions = 0xFF000000;
constexpr std::uint32_t clipboard_caps = 1u << 24;
constexpr std::uint32_t clipboard_request = 1u << 25;
constexpr std::uint32_t clipboard_peek = 1u << 26;
constexpr std::uint32_t clipboard_notify = 1u << 27;
constexpr std::uint32_t clipboard_provide = 1u << 28;

std::string hex32(std::uint32_t v) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(v));
  return text;
}

}  // namespace

std::string_view to_string(client_message_kind k) noexcept {
  switch (k) {
    case kind::set_pixel_format: return "set_pixel_format";
    case kind::set_encodings: return "set_encodings";
    case kind::framebuffer_update_request: return "framebuffer_update_request";
    case kind::key_event: return "key_event";
    case kind::pointer_event: return "pointer_event";
    case kind::client_cut_text: return "client_cut_text";
    case kind::extended_clipboard: return "extended_clipboard";
    case kind::enable_continuous_updates: return "enable_continuous_updates";
    case kind::client_fence: return "client_fence";
    case kind::xvp: return "xvp";
    case kind::set_desktop_size: return "set_desktop_size";
    case kind::gii_events: return "gii_events";
    case kind::gii_setup: return "gii_setup";
    case kind::qemu_extended_key_event: return "qemu_extended_key_event";
    case kind::qemu_audio: return "qemu_audio";
  }
  return "unknown";
}

bool is_input(client_message_kind k) noexcept {
  return k == kind::key_event || k == kind::pointer_event || k == kind::qemu_extended_key_event ||
         k == kind::gii_events;
}

std::string_view to_string(client_stream_fault f) noexcept {
  switch (f) {
    case client_stream_fault::unknown_message_type: return "unknown_message_type";
    case client_stream_fault::unknown_qemu_submessage: return "unknown_qemu_submessage";
    case client_stream_fault::unknown_qemu_audio_operation: return "unknown_qemu_audio_operation";
    case client_stream_fault::unknown_gii_submessage: return "unknown_gii_submessage";
    case client_stream_fault::too_many_encodings: return "too_many_encodings";
    case client_stream_fault::cut_text_too_long: return "cut_text_too_long";
    case client_stream_fault::bad_extended_clipboard_length: return "bad_extended_clipboard_length";
    case client_stream_fault::bad_extended_clipboard_action: return "bad_extended_clipboard_action";
    case client_stream_fault::fence_payload_too_long: return "fence_payload_too_long";
    case client_stream_fault::no_screens: return "no_screens";
  }
  return "unknown";
}

std::string describe(const filter_error& e) {
  const std::string value = std::to_string(e.value);
  const std::string limit = std::to_string(e.limit);
  switch (e.fault) {
    case client_stream_fault::unknown_message_type:
      return "client sent unknown message type " + value;
    case client_stream_fault::unknown_qemu_submessage:
      return "client sent unknown QEMU submessage " + value;
    case client_stream_fault::unknown_qemu_audio_operation:
      return "client sent unknown QEMU audio operation " + value;
    case client_stream_fault::unknown_gii_submessage:
      return "client sent unknown gii submessage " + value;
    case client_stream_fault::too_many_encodings:
      return "client sent SetEncodings with " + value + " encodings (limit " + limit + ")";
    case client_stream_fault::cut_text_too_long:
      return "client sent cut text of " + value + " bytes (limit " + limit + ")";
    case client_stream_fault::bad_extended_clipboard_length:
      if (e.limit == 0)
        return "client sent an extended clipboard message of " + value + " bytes (at least 4)";
      return "client sent an extended clipboard message of " + value +
             " bytes where its flags need " + limit;
    case client_stream_fault::bad_extended_clipboard_action:
      return "client sent an extended clipboard message with flags " + hex32(e.value) +
             " (not exactly one action)";
    case client_stream_fault::fence_payload_too_long:
      return "client sent a fence with " + value + " payload bytes (limit " + limit + ")";
    case client_stream_fault::no_screens: return "client sent SetDesktopSize with no screens";
  }
  return "client sent a malformed message";
}

// Gathers the spans to pass on. Adjacent ranges of `in` become one call, so a chunk
// with nothing dropped reaches `forward` in one piece.
class client_message_filter::output {
 public:
  output(byte_view in, forward_fn fn, void* context) : in_(in), fn_(fn), context_(context) {}

  void take(std::size_t begin, std::size_t end) {
    if (begin == end) return;
    if (run_end_ != run_begin_ && run_end_ == begin) {
      run_end_ = end;
      return;
    }
    flush();
    run_begin_ = begin;
    run_end_ = end;
  }
  void emit(byte_view held) {
    flush();
    fn_(context_, held);
    forwarded_ += held.size();
  }
  void flush() {
    if (run_end_ == run_begin_) return;
    const byte_view run = in_.subspan(run_begin_, run_end_ - run_begin_);
    run_begin_ = run_end_ = 0;
    forwarded_ += run.size();
    fn_(context_, run);
  }
  std::size_t forwarded() const noexcept { return forwarded_; }

 private:
  byte_view in_;
  forward_fn fn_;
  void* context_;
  std::size_t run_begin_ = 0;
  std::size_t run_end_ = 0;
  std::size_t forwarded_ = 0;
};

client_message_filter::client_message_filter(filter_rules rules) noexcept
    : rules_(rules),
      neutralise_extended_mouse_(rules.drop_input || rules.drop_clipboard ||
                                 rules.drop_desktop_control) {}

std::size_t client_message_filter::held_bytes() const noexcept {
  return phase_ == phase::head || phase_ == phase::entries ? have_ : 0;
}

bool client_message_filter::at_message_boundary() const noexcept { return phase_ == phase::type; }

expected<feed_result, filter_error> client_message_filter::feed(byte_view in, bytes& out) {
  return feed(in, [&out](byte_view b) { out.insert(out.end(), b.begin(), b.end()); });
}

client_message_filter::step client_message_filter::need(std::size_t size) {
  assert(size > have_ && size <= max_held);
  need_ = size;
  return step::more;
}

client_message_filter::step client_message_filter::complete(client_message_kind k, bool drop,
                                                            std::uint64_t tail) {
  kind_ = k;
  drop_ = drop;
  tail_left_ = tail;
  const auto index = static_cast<std::size_t>(k);
  ++counters_.seen[index];
  if (drop) ++counters_.dropped[index];
  phase_ = tail > 0 ? phase::tail : phase::type;
  return step::complete;
}

client_message_filter::step client_message_filter::fail(client_stream_fault fault,
                                                        std::uint32_t value, std::uint32_t limit) {
  error_ = filter_error{fault, value, limit};
  phase_ = phase::failed;
  return step::failed;
}

client_message_filter::step client_message_filter::parse_head() {
  namespace type = client_message_type;
  switch (head_[0]) {
    case type::set_pixel_format:
      if (have_ < 20) return need(20);
      return complete(kind::set_pixel_format, false, 0);
    case type::set_encodings: {
      if (have_ < 4) return need(4);
      const std::uint16_t count = get_u16(byte_view(head_).subspan(2));
      if (count > max_encodings)
        return fail(client_stream_fault::too_many_encodings, count, max_encodings);
      complete(kind::set_encodings, false, 0);
      // The servers apply a SetEncodings only once all of it has arrived.
      entries_left_ = count;
      entry_seen_ = false;
      entries_enable_extended_mouse_ = false;
      entries_enable_desktop_name_ = false;
      if (count > 0) {
        phase_ = phase::entries;
      } else {
        extended_mouse_ = false;
        desktop_name_ = false;
      }
      return step::complete;
    }
    case type::framebuffer_update_request:
      if (have_ < 10) return need(10);
      return complete(kind::framebuffer_update_request, false, 0);
    case type::key_event:
      if (have_ < 8) return need(8);
      return complete(kind::key_event, rules_.drop_input, 0);
    case type::pointer_event:
      if (have_ < 6) return need(6);
      if (extended_mouse_ && (head_[1] & 0x80) != 0 && have_ < 7) return need(7);
      return complete(kind::pointer_event, rules_.drop_input, 0);
    case type::client_cut_text: return parse_cut_text();
    case type::enable_continuous_updates:
      if (have_ < 10) return need(10);
      return complete(kind::enable_continuous_updates, false, 0);
    case type::client_fence: {
      if (have_ < 9) return need(9);
      const std::uint8_t length = head_[8];
      if (length > max_fence_payload) {
        return fail(client_stream_fault::fence_payload_too_long, length, max_fence_payload);
      }
      return complete(kind::client_fence, false, length);
    }
    case type::xvp:
      if (have_ < 4) return need(4);
      return complete(kind::xvp, rules_.drop_desktop_control, 0);
    case type::set_desktop_size: {
      if (have_ < 8) return need(8);
      const std::uint8_t screens = head_[6];
      if (screens == 0) return fail(client_stream_fault::no_screens, 0);
      return complete(kind::set_desktop_size, rules_.drop_desktop_control, 16u * screens);
    }
    case type::gii: {
      if (have_ < 4) return need(4);
      // The top bit of the subtype byte says how the length is encoded.
      const bool big_endian = (head_[1] & 0x80) != 0;
      const std::uint8_t subtype = head_[1] & 0x7F;
      const std::uint16_t length = big_endian
                                       ? get_u16(byte_view(head_).subspan(2))
                                       : static_cast<std::uint16_t>(head_[2] | head_[3] << 8);
      if (subtype == 0) return complete(kind::gii_events, rules_.drop_input, length);
      if (subtype <= 3) return complete(kind::gii_setup, false, length);
      return fail(client_stream_fault::unknown_gii_submessage, subtype);
    }
    case type::qemu:
      if (have_ < 2) return need(2);
      if (head_[1] == 0) {
        if (have_ < 12) return need(12);
        return complete(kind::qemu_extended_key_event, rules_.drop_input, 0);
      }
      if (head_[1] == 1) {
        if (have_ < 4) return need(4);
        const std::uint16_t operation = get_u16(byte_view(head_).subspan(2));
        if (operation == 0 || operation == 1)
          return complete(kind::qemu_audio, false, 0);  // enable, disable
        if (operation == 2) {  // set format: u8 sample format, u8 channels, u32 frequency
          if (have_ < 10) return need(10);
          return complete(kind::qemu_audio, false, 0);
        }
        return fail(client_stream_fault::unknown_qemu_audio_operation, operation);
      }
      return fail(client_stream_fault::unknown_qemu_submessage, head_[1]);
    default: return fail(client_stream_fault::unknown_message_type, head_[0]);
  }
}

client_message_filter::step client_message_filter::parse_cut_text() {
  if (have_ < 8) return need(8);
  const std::uint32_t field = get_u32(byte_view(head_).subspan(4));
  // A negative s32 length is the extended clipboard format with |length| bytes after it.
  // Xvnc reads it that way whether or not the client asked for the extension; libvncserver and
  // QEMU close the connection then, so framing it as extended is never out of step.
  const bool extended = (field & 0x80000000u) != 0;
  const std::uint32_t length =
      extended ? static_cast<std::uint32_t>((std::uint64_t{1} << 32) - field) : field;
  const kind k = extended ? kind::extended_clipboard : kind::client_cut_text;
  if (extended && length < 4)
    return fail(client_stream_fault::bad_extended_clipboard_length, length);
  if (length > rules_.max_cut_text) {
    if (rules_.on_oversized_cut_text == oversized_cut_text::end_session) {
      return fail(client_stream_fault::cut_text_too_long, length, rules_.max_cut_text);
    }
    ++counters_.oversized_cut_texts;
    return complete(k, true, length);
  }
  if (!extended) return complete(k, rules_.drop_clipboard, length);

  if (have_ < 12) return need(12);
  const std::uint32_t flags = get_u32(byte_view(head_).subspan(8));
  const std::uint32_t action = flags & clipboard_actions;
  // Xvnc reads only the flags (and, for caps, one size per format) of every message but
  // provide, and takes what follows as the next message; so those must be exactly that
  // long, or a client could hide messages inside one the filter passes on. Several
  // actions without caps are not allowed, and Xvnc refuses them.
  bool paste_in = false;
  std::uint32_t exact = 0;
  if ((flags & clipboard_caps) != 0) {
    exact = 4 + 4 * static_cast<std::uint32_t>(std::popcount(flags & clipboard_formats));
  } else if (action == clipboard_request || action == clipboard_peek) {
    exact = 4;
  } else if (action == clipboard_notify) {
    exact = 4;
    paste_in = true;  // announcing a new client clipboard lets the desktop ask for it
  } else if (action == clipboard_provide) {
    paste_in = true;
  } else {
    return fail(client_stream_fault::bad_extended_clipboard_action, flags);
  }
  if (exact != 0 && length != exact) {
    return fail(client_stream_fault::bad_extended_clipboard_length, length, exact);
  }
  return complete(k, paste_in && rules_.drop_clipboard, length - 4);
}

void client_message_filter::finish_entry(output& out, bool held, std::size_t begin,
                                         std::size_t end) {
  const std::uint32_t value = get_u32(byte_view(head_).subspan(0, 4));
  if (value == pseudo_encoding_extended_mouse_buttons && neutralise_extended_mouse_) {
    // A duplicate changes nothing on any server; Raw is what a server uses anyway.
    if (entry_seen_) {
      std::copy(previous_entry_.begin(), previous_entry_.end(), head_.begin());
    } else {
      std::fill_n(head_.begin(), 4, std::uint8_t{0});
    }
    ++counters_.encodings_rewritten;
    out.emit(byte_view(head_).subspan(0, 4));
  } else {
    if (value == pseudo_encoding_extended_mouse_buttons) entries_enable_extended_mouse_ = true;
    if (value == pseudo_encoding_desktop_name) entries_enable_desktop_name_ = true;
    if (held) {
      out.emit(byte_view(head_).subspan(0, 4));
    } else {
      out.take(begin, end);
    }
  }
  std::copy_n(head_.begin(), 4, previous_entry_.begin());
  entry_seen_ = true;
  have_ = 0;
  if (--entries_left_ == 0) {
    extended_mouse_ = entries_enable_extended_mouse_;
    desktop_name_ = entries_enable_desktop_name_;
    phase_ = phase::type;
  }
}

expected<feed_result, filter_error> client_message_filter::feed_impl(byte_view in, forward_fn fn,
                                                                     void* context) {
  if (phase_ == phase::failed) return unexpected{error_};
  output out(in, fn, context);
  feed_result result;
  const auto account = [&] {
    out.flush();
    result.forwarded = out.forwarded();
    counters_.bytes_forwarded += result.forwarded;
    counters_.bytes_dropped += result.dropped;
  };

  // Where the head or entry being collected began in `in`; `held` when it began in an
  // earlier call, so its first bytes exist only in head_.
  bool held = have_ > 0;
  std::size_t begin = 0;
  std::size_t pos = 0;
  while (pos < in.size()) {
    switch (phase_) {
      case phase::type:
        head_[0] = in[pos];
        have_ = 1;
        need_ = 1;
        begin = pos;
        held = false;
        ++pos;
        phase_ = phase::head;
        [[fallthrough]];  // the type byte alone may be the whole head, or show a fault

      case phase::head: {
        const std::size_t n = std::min(need_ - have_, in.size() - pos);
        std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(pos), n,
                    head_.begin() + static_cast<std::ptrdiff_t>(have_));
        have_ += n;
        pos += n;
        if (have_ < need_) break;
        const step s = parse_head();
        if (s == step::more) break;
        if (s == step::failed) {
          account();
          return unexpected{error_};
        }
        ++result.messages;
        if (is_input(kind_)) ++result.input_messages;
        if (drop_) {
          result.dropped += have_;
        } else if (held) {
          out.emit(byte_view(head_).subspan(0, have_));
        } else {
          out.take(begin, pos);
        }
        have_ = 0;
        break;
      }

      case phase::entries: {
        if (have_ == 0) {
          begin = pos;
          held = false;
        }
        const std::size_t n = std::min(std::size_t{4} - have_, in.size() - pos);
        std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(pos), n,
                    head_.begin() + static_cast<std::ptrdiff_t>(have_));
        have_ += n;
        pos += n;
        if (have_ == 4) finish_entry(out, held, begin, pos);
        break;
      }

      case phase::tail: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(tail_left_, in.size() - pos));
        if (drop_) {
          result.dropped += n;
        } else {
          out.take(pos, pos + n);
        }
        pos += n;
        tail_left_ -= n;
        if (tail_left_ == 0) phase_ = phase::type;
        break;
      }

      case phase::failed:  // not reached: a failure returns at once
        account();
        return unexpected{error_};
    }
  }
  account();
  return result;
}

}  // namespace vncgate::rfb
