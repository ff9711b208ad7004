// rfb_session.hpp — the client side of RFB after a successful login, byte by byte over
// raw_client: ClientInit/ServerInit with the pixel format, SetEncodings,
// FramebufferUpdateRequest, and a reader that parses every server message until the
// server ends the connection.
//
// It lets a test assert exactly what the gateway sent last and how it hung up, which a
// real client library hides. The reader understands the server messages of RFC 6143
// (FramebufferUpdate, SetColourMapEntries, Bell, ServerCutText) and the rectangle
// encodings a test can announce with it: Raw (sized from the pixel format),
// DesktopName (-307) and DesktopSize (-223). Anything else stops the parse with an
// error rather than guessing, so a test that sees `unparsable` knows the server sent
// something it was never offered. Never throws for what the server sends; blocking,
// bounded by the time given; one thread per raw_client.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "harness/raw_client.hpp"

namespace vncgate::e2e {

inline constexpr std::int32_t encoding_raw = 0;
inline constexpr std::int32_t encoding_desktop_size = -223;
inline constexpr std::int32_t encoding_desktop_name = -307;

struct server_init_message {
  int width = 0;
  int height = 0;
  int bits_per_pixel = 0;
  std::string name{};
};

// Sends ClientInit (shared flag) and reads the ServerInit; nullopt when it is not
// well-formed (see client.last_error()).
std::optional<server_init_message> exchange_init(raw_client& client, bool shared = true);

// SetEncodings (type 2) with `encodings` in order of preference.
bool send_set_encodings(raw_client& client, const std::vector<std::int32_t>& encodings);
// FramebufferUpdateRequest (type 3) for the rectangle 0,0,width,height.
bool send_update_request(raw_client& client, bool incremental, int width, int height);

struct update_rectangle {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  std::int32_t encoding = 0;
  std::string desktop_name{};  // DesktopName rectangles only
};

struct server_message {
  std::uint8_t type = 0;                 // 0 update, 1 colour map, 2 bell, 3 cut text
  std::vector<update_rectangle> rects{};  // type 0
  std::string cut_text{};                 // type 3
};

enum class stream_state {
  open,        // still open: the count was reached
  timed_out,   // nothing (or only part of a message) within the time given
  closed,      // the server ended the connection
  unparsable,  // a message type or encoding the reader does not know
};

struct server_stream {
  std::vector<server_message> messages{};
  stream_state state = stream_state::open;
  bool at_boundary = true;     // the last read ended between two messages
  bool close_notify = false;   // closed with a TLS close_notify (not a bare TCP close)
  std::string error{};         // what the last failed read or the parser said
  std::chrono::milliseconds closed_after{};  // from the first read call to the close
  std::optional<std::chrono::steady_clock::time_point> started{};  // the first read call

  // Every DesktopName rectangle's name, in the order received.
  std::vector<std::string> desktop_names() const;
  // Total area of the Raw rectangles received.
  long raw_pixels() const;
};

// Appends the server's messages to `stream` until `count` more have arrived, the server
// ends the connection, a message cannot be parsed, or `within` passes. The first call
// on a stream starts its closed_after clock. A timeout inside a message loses its bytes,
// so later calls on that stream read nothing (at_boundary is false).
void read_server_messages(raw_client& client, int bits_per_pixel, server_stream& stream,
                          std::chrono::milliseconds within,
                          std::size_t count = std::numeric_limits<std::size_t>::max());

}  // namespace vncgate::e2e
