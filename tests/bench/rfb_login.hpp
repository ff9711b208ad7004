// rfb_login.hpp — the load client's RFB 3.8 handshake, up to and including ServerInit.
//
// Takes what the server offers, in this order of preference:
//   - VeNCrypt (19) when the stream is TLS or `tls_context` is set: Plain (256) when
//     the stream is already TLS (a `tls` listener), else X509Plain (262): TLS on the
//     socket with `tls_context`, then Plain;
//   - VNC Authentication (2) with `password`;
//   - None (1);
//   - VeNCrypt Plain in the clear, when nothing else is offered and no `tls_context` is
//     set (a `plain` listener behind a proxy that already protects the leg).
// Errors are values with a sentence for the JSON line.
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench_stream.hpp"

namespace vncgate::bench {

struct login_options {
  std::string user;            // VeNCrypt Plain user name, e.g. "bench@big"
  std::string password;        // VeNCrypt Plain password and VNC Authentication password
  SSL_CTX* tls_context = nullptr;  // for X509Plain; null: VeNCrypt X509Plain is not taken
};

struct framebuffer_geometry {
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  std::uint8_t bits_per_pixel = 0;
};

struct login_result {
  bool ok = false;
  std::string failure;  // when !ok
  framebuffer_geometry screen;
};

awaitable<login_result> rfb_login(bench_stream& stream, const login_options& options);

}  // namespace vncgate::bench
