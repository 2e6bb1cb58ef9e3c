// Status: the outcome of a fallible operation, a code plus a one-line message.
//
// A successful Status holds no allocation and is cheap to return and copy. Library code never
// throws across its boundary: adapters catch third-party exceptions and return a Status.
// Thread-safety: a Status is a value; distinct objects may be used from distinct threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace dolphin {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input: config value, CLI argument, malformed bytes
  kNotFound,         // a key, file or record that does not exist
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,       // a peer or resource is down; retrying later may succeed
  kDeadlineExceeded,  // a timeout
  kCancelled,
  kCorruption,     // data that does not parse or violates its format
  kUnimplemented,  // not built yet
  kIoError,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string_view message);

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message without the code name; empty for OK.
  const std::string& message() const;
  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>" (OK stays OK).
  Status WithPrefix(std::string_view prefix) const;

  // Marks a Status as deliberately ignored.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;
};

// Named factories, after leveldb.
Status InvalidArgumentError(std::string_view message);
Status NotFoundError(std::string_view message);
Status AlreadyExistsError(std::string_view message);
Status FailedPreconditionError(std::string_view message);
Status UnavailableError(std::string_view message);
Status DeadlineExceededError(std::string_view message);
Status CancelledError(std::string_view message);
Status CorruptionError(std::string_view message);
Status UnimplementedError(std::string_view message);
Status IoError(std::string_view message);
Status InternalError(std::string_view message);

// IoError built from errno: "<what>: <strerror(errnum)>".
Status ErrnoError(std::string_view what, int errnum);

}  // namespace dolphin

#define DOLPHIN_STATUS_CONCAT_INNER_(a, b) a##b
#define DOLPHIN_STATUS_CONCAT_(a, b) DOLPHIN_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define DOLPHIN_RETURN_IF_ERROR(expr)                          \
  do {                                                         \
    ::dolphin::Status dolphin_status_tmp_ = (expr);            \
    if (!dolphin_status_tmp_.ok()) return dolphin_status_tmp_; \
  } while (false)
