#include "gateway/kernel_tls.hpp"

#include <fstream>
#include <iterator>
#include <optional>

namespace vncgate::gateway {

bool ulp_list_offers_tls(std::string_view list) {
  constexpr std::string_view blanks = " \t\n";
  for (std::size_t at = 0; at < list.size();) {
    const std::size_t begin = list.find_first_not_of(blanks, at);
    if (begin == std::string_view::npos) break;
    std::size_t end = list.find_first_of(blanks, begin);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(begin, end - begin) == "tls") return true;
    at = end;
  }
  return false;
}

std::string kernel_tls_status(bool enabled, const std::string* ulp_list) {
  if (!enabled) return "kernel TLS: off (tls.kernel_tls: off); TLS runs in user space";
  if (ulp_list && ulp_list_offers_tls(*ulp_list))
    return "kernel TLS: the kernel offers it; sessions whose cipher it takes splice framebuffer updates";
  return "kernel TLS: the kernel does not offer the tls module; TLS runs in user space "
         "(modprobe tls, and list it in /etc/modules-load.d/, to enable it)";
}

std::string kernel_tls_status(bool enabled) {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  if (!in) return kernel_tls_status(enabled, nullptr);
  const std::string list((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return kernel_tls_status(enabled, &list);
}

}  // namespace vncgate::gateway
