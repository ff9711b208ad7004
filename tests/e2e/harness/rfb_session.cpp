#include "harness/rfb_session.hpp"

#include <openssl/ssl.h>

namespace vncgate::e2e {
namespace {

using clock_type = std::chrono::steady_clock;

unsigned u8_at(const std::string& b, std::size_t at) { return static_cast<unsigned char>(b[at]); }
unsigned u16_at(const std::string& b, std::size_t at) { return (u8_at(b, at) << 8) | u8_at(b, at + 1); }
std::uint32_t u32_at(const std::string& b, std::size_t at) {
  return (static_cast<std::uint32_t>(u16_at(b, at)) << 16) | u16_at(b, at + 2);
}

void put_u16(std::string& out, unsigned v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}
void put_u32(std::string& out, std::uint32_t v) {
  put_u16(out, v >> 16);
  put_u16(out, v & 0xffff);
}

// One server message at a time; each read is bounded by what is left of the deadline.
class message_parser {
 public:
  message_parser(raw_client& client, int bits_per_pixel, server_stream& stream, clock_type::time_point deadline)
      : client_(client), bytes_per_pixel_(bits_per_pixel / 8), stream_(stream), deadline_(deadline) {}

  // True when a whole message was appended; otherwise stream_.state says why not.
  bool next() {
    stream_.at_boundary = true;
    auto type = read(1);
    if (!type) return false;
    stream_.at_boundary = false;
    server_message m;
    m.type = static_cast<std::uint8_t>(u8_at(*type, 0));
    bool ok = false;
    switch (m.type) {
      case 0: ok = update(m); break;
      case 1: ok = colour_map(); break;
      case 2: ok = true; break;  // Bell: the type byte alone
      case 3: ok = cut_text(m); break;
      default: return unparsable("unknown server message type " + std::to_string(m.type));
    }
    if (!ok) return false;
    stream_.messages.push_back(std::move(m));
    stream_.at_boundary = true;
    return true;
  }

 private:
  std::optional<std::string> read(std::size_t n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock_type::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    auto got = client_.read_exact(n, left);
    if (got) return got;
    // raw_client says "timed out ..." when nothing ended the connection; TLS read
    // errors carry SSL_get_error's code, and SSL_ERROR_ZERO_RETURN is a close_notify.
    stream_.error = client_.last_error();
    if (stream_.error.starts_with("timed out")) {
      stream_.state = stream_state::timed_out;
    } else {
      stream_.state = stream_state::closed;
      stream_.close_notify =
          stream_.error.find("TLS read ended (" + std::to_string(SSL_ERROR_ZERO_RETURN) + ")") != std::string::npos;
      stream_.closed_after =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - *stream_.started);
    }
    return std::nullopt;
  }

  bool unparsable(std::string why) {
    stream_.state = stream_state::unparsable;
    stream_.error = std::move(why);
    return false;
  }

  bool update(server_message& m) {
    auto header = read(3);  // padding, u16 number of rectangles
    if (!header) return false;
    unsigned count = u16_at(*header, 1);
    for (unsigned i = 0; i < count; ++i) {
      auto r = read(12);
      if (!r) return false;
      update_rectangle rect{.x = static_cast<int>(u16_at(*r, 0)),
                            .y = static_cast<int>(u16_at(*r, 2)),
                            .width = static_cast<int>(u16_at(*r, 4)),
                            .height = static_cast<int>(u16_at(*r, 6)),
                            .encoding = static_cast<std::int32_t>(u32_at(*r, 8))};
      if (rect.encoding == encoding_raw) {
        std::size_t size = static_cast<std::size_t>(rect.width) * rect.height * bytes_per_pixel_;
        if (!read(size)) return false;
      } else if (rect.encoding == encoding_desktop_name) {
        auto length = read(4);
        if (!length) return false;
        if (u32_at(*length, 0) > (1u << 20)) return unparsable("DesktopName longer than 1 MiB");
        auto name = read(u32_at(*length, 0));
        if (!name) return false;
        rect.desktop_name = *name;
      } else if (rect.encoding != encoding_desktop_size) {
        return unparsable("rectangle encoding " + std::to_string(rect.encoding) + " was never announced");
      }
      m.rects.push_back(std::move(rect));
    }
    return true;
  }

  bool colour_map() {
    auto header = read(5);  // padding, u16 first colour, u16 number of colours
    return header && read(static_cast<std::size_t>(u16_at(*header, 3)) * 6).has_value();
  }

  bool cut_text(server_message& m) {
    auto header = read(7);  // 3 bytes padding, u32 length
    if (!header) return false;
    if (u32_at(*header, 3) > (1u << 20)) return unparsable("ServerCutText longer than 1 MiB");
    auto text = read(u32_at(*header, 3));
    if (!text) return false;
    m.cut_text = *text;
    return true;
  }

  raw_client& client_;
  int bytes_per_pixel_;
  server_stream& stream_;
  clock_type::time_point deadline_;
};

}  // namespace

std::optional<server_init_message> exchange_init(raw_client& client, bool shared) {
  if (!client.send_u8(shared ? 1 : 0)) return std::nullopt;
  // u16 width, u16 height, 16-byte pixel format (bits-per-pixel first), then the name.
  auto header = client.read_exact(20);
  if (!header) return std::nullopt;
  auto name = client.read_string32();
  if (!name) return std::nullopt;
  return server_init_message{.width = static_cast<int>(u16_at(*header, 0)),
                             .height = static_cast<int>(u16_at(*header, 2)),
                             .bits_per_pixel = static_cast<int>(u8_at(*header, 4)),
                             .name = *name};
}

bool send_set_encodings(raw_client& client, const std::vector<std::int32_t>& encodings) {
  std::string out{'\x02', '\x00'};
  put_u16(out, static_cast<unsigned>(encodings.size()));
  for (auto e : encodings) put_u32(out, static_cast<std::uint32_t>(e));
  return client.send(out);
}

bool send_update_request(raw_client& client, bool incremental, int width, int height) {
  std::string out{'\x03', incremental ? '\x01' : '\x00'};
  put_u16(out, 0);
  put_u16(out, 0);
  put_u16(out, static_cast<unsigned>(width));
  put_u16(out, static_cast<unsigned>(height));
  return client.send(out);
}

std::vector<std::string> server_stream::desktop_names() const {
  std::vector<std::string> names;
  for (const auto& m : messages)
    for (const auto& r : m.rects)
      if (r.encoding == encoding_desktop_name) names.push_back(r.desktop_name);
  return names;
}

long server_stream::raw_pixels() const {
  long area = 0;
  for (const auto& m : messages)
    for (const auto& r : m.rects)
      if (r.encoding == encoding_raw) area += static_cast<long>(r.width) * r.height;
  return area;
}

void read_server_messages(raw_client& client, int bits_per_pixel, server_stream& stream,
                          std::chrono::milliseconds within, std::size_t count) {
  if (!stream.started) stream.started = clock_type::now();
  if (stream.state == stream_state::closed || stream.state == stream_state::unparsable) return;
  if (!stream.at_boundary) return;  // a message cut by a timeout: the rest of the stream cannot be framed
  stream.state = stream_state::open;
  message_parser parser(client, bits_per_pixel, stream, clock_type::now() + within);
  for (std::size_t n = 0; n < count; ++n)
    if (!parser.next()) return;
}

}  // namespace vncgate::e2e
