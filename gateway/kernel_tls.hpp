// kernel_tls.hpp — whether this kernel can take TLS session keys (kTLS), for the
// start-up log. OpenSSL does the hand-off itself per session (SSL_OP_ENABLE_KTLS,
// tls_context.cpp) and each session reports what it got (client_stream::ktls_send);
// this only tells the administrator what to expect and how to change it.
#pragma once

#include <string>
#include <string_view>

namespace vncgate::gateway {

// `list` is /proc/sys/net/ipv4/tcp_available_ulp: names separated by blanks.
bool ulp_list_offers_tls(std::string_view list);

// The start-up line: kernel TLS off by configuration, offered, or not (and how to get it).
// `ulp_list` is nullptr when the file cannot be read (not Linux, no /proc).
std::string kernel_tls_status(bool enabled, const std::string* ulp_list);

// Reads /proc/sys/net/ipv4/tcp_available_ulp and describes it.
std::string kernel_tls_status(bool enabled);

}  // namespace vncgate::gateway
