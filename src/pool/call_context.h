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
// Cost: Of allocates once; copies share the carried value (it is immutable),
// so the pool copying a context per waiting request and per fetch is cheap.
//
// Thread-safety: a value type; copies may be used from any thread at once
// (the carried value is only ever read).
#ifndef IDGEN_POOL_CALL_CONTEXT_H_
#define IDGEN_POOL_CALL_CONTEXT_H_

#include <memory>
#include <typeinfo>
#include <utility>

namespace idgen::pool {

class CallContext {
 public:
  CallContext() = default;

  // A context carrying `value`.
  template <typename T>
  static CallContext Of(T value) {
    CallContext ctx;
    ctx.value_ = std::make_shared<const T>(std::move(value));
    ctx.type_ = &typeid(T);
    return ctx;
  }

  // The carried value if it is a T; nullptr if empty or of another type.
  // Valid while this context (or a copy of it) lives.
  template <typename T>
  const T* Get() const {
    if (type_ == nullptr || *type_ != typeid(T)) return nullptr;
    return static_cast<const T*>(value_.get());
  }

  bool empty() const { return value_ == nullptr; }

 private:
  std::shared_ptr<const void> value_;
  const std::type_info* type_ = nullptr;
};

}  // namespace idgen::pool

#endif  // IDGEN_POOL_CALL_CONTEXT_H_
