// The one error type of iotcensus: a code and a message, carried as a return value.
// Stages return Result<T>; only the CLI turns errors into text for people and exit codes.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace iotcensus::core {

enum class ErrorCode {
  kIo,               // the operating system refused (open, read, write, mmap)
  kNotACapture,      // the bytes are not a pcap or pcapng file
  kCorruptCapture,   // a capture whose structure is broken beyond a cut-short tail
  kUnsupportedLink,  // a link type no decoder exists for
  kBadRule,          // a rule file that does not parse or names unknown fields
  kStore,            // the store refused (SQLite error, schema mismatch)
  kUsage,            // bad command-line input
  kDuplicate,        // the input was already ingested
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

// A value or an Error. Small on purpose: construction from either, has_value, value, error.
template <class T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : data_(std::move(error)) {}  // NOLINT
  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & {
    assert(has_value());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(data_));
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(data_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const {
    assert(!has_value());
    return std::get<1>(data_);
  }

 private:
  std::variant<T, Error> data_;
};

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace iotcensus::core
