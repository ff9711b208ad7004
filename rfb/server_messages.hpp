// server_messages.hpp — server->client messages the gateway itself sends after the
// handshake.
//
// RFB has no message that tells a client why the server ends a session once ServerInit
// is sent. The one way to show a sentence is the DesktopName pseudo-encoding (-307,
// rfbproto.rst "DesktopName Pseudo-encoding"): a FramebufferUpdate with one rectangle
// of that encoding renames the desktop, which TigerVNC's vncviewer shows in its title
// bar and noVNC in its status. It may be sent only to a client whose SetEncodings named
// -307, and only between two server messages. Pure functions.
#pragma once

#include <string_view>

#include "rfb/codec.hpp"

namespace vncgate::rfb {

// FramebufferUpdate (type 0, padding, one rectangle) with a 0x0 rectangle at 0,0 of
// encoding -307 carrying `name` (u32 length, then the bytes; UTF-8 per the spec). A
// name longer than 255 bytes is cut at 255: the gateway's sentences are short.
bytes encode_desktop_name_update(std::string_view name);

}  // namespace vncgate::rfb
