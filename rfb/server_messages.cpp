#include "rfb/server_messages.hpp"

#include "rfb/client_messages.hpp"

namespace vncgate::rfb {

bytes encode_desktop_name_update(std::string_view name) {
  constexpr std::size_t max_name = 255;
  if (name.size() > max_name) name = name.substr(0, max_name);
  bytes out;
  out.reserve(4 + 12 + 4 + name.size());
  out.push_back(0);  // FramebufferUpdate
  out.push_back(0);  // padding
  put_u16(out, 1);   // one rectangle
  for (int i = 0; i < 4; ++i) put_u16(out, 0);  // x, y, width, height
  put_u32(out, pseudo_encoding_desktop_name);
  put_u32(out, static_cast<std::uint32_t>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

}  // namespace vncgate::rfb
