// Errors in user input (configs, scenarios, traces, command lines). Every message names where
// the bad input is: `file:line:col: key.path: what is wrong`.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace isim::cfg {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& msg) : std::runtime_error(msg) {}
};

/// Collects every problem found in one pass, so a user fixes them all at once.
class ErrorList {
 public:
  void add(std::string msg) { msgs_.push_back(std::move(msg)); }
  bool empty() const { return msgs_.empty(); }
  size_t size() const { return msgs_.size(); }
  const std::vector<std::string>& messages() const { return msgs_; }
  /// Throws one ConfigError listing every collected message, if any.
  void throw_if_any() const;

 private:
  std::vector<std::string> msgs_;
};

}  // namespace isim::cfg
