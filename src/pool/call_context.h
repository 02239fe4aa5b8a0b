// Copyright idgen authors.
//
// CallContext: an opaque value a caller hands to the IdPool with each request
// and gets back, untouched, in the fetch that serves it. The pool never looks
// inside; the user of the pool decides what it carries (the gateway puts the
// request's trace span context there, so a backend call is traced as a child
// of the request that caused it; a client library may carry nothing).
//
//   CallContext ctx = CallContext::Of(telemetry::CurrentSpanContext());
//   ...
//   if (const auto* span = ctx.Get<telemetry::SpanContext>()) { ... }
//
// An empty CallContext (default constructed) carries nothing: Get returns
// nullptr for every type.
//
// Thread-safety: a value type; copies are independent. Copying copies the
// carried value, so carry small things (or a shared_ptr to large ones).
#ifndef IDGEN_POOL_CALL_CONTEXT_H_
#define IDGEN_POOL_CALL_CONTEXT_H_

#include <any>
#include <type_traits>
#include <utility>

namespace idgen::pool {

class CallContext {
 public:
  CallContext() = default;

  // A context carrying `value` (copyable).
  template <typename T>
  static CallContext Of(T value) {
    CallContext ctx;
    ctx.value_ = std::move(value);
    return ctx;
  }

  // The carried value if it is a T; nullptr if empty or of another type.
  template <typename T>
  const T* Get() const {
    return std::any_cast<T>(&value_);
  }

  bool empty() const { return !value_.has_value(); }

 private:
  std::any value_;
};

}  // namespace idgen::pool

#endif  // IDGEN_POOL_CALL_CONTEXT_H_
