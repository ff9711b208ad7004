#include "gateway/message_reader.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/crypto.h>

namespace vncgate::gateway {

std::string read_failure::describe() const {
  if (!io) return std::string("malformed message: ") + std::string(rfb::to_string(protocol));
  if (io == asio::error::eof || io == asio::ssl::error::stream_truncated) return "peer closed the connection";
  return "read failed: " + io.message();
}

void message_reader::consume(std::size_t n) noexcept {
  n = std::min(n, buffer_.size() - start_);
  // Handshake messages include the person's password: leave no copy behind.
  OPENSSL_cleanse(buffer_.data() + start_, n);
  start_ += n;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
}

void message_reader::release() noexcept {
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
  std::vector<std::uint8_t>().swap(buffer_);
  start_ = 0;
}

}  // namespace vncgate::gateway
