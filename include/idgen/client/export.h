// Copyright idgen authors.
//
// IDGEN_CLIENT_API marks what libidgen_client exports; everything else in
// the shared library is hidden (it is built with -fvisibility=hidden).
#ifndef IDGEN_CLIENT_EXPORT_H_
#define IDGEN_CLIENT_EXPORT_H_

#if defined(IDGEN_CLIENT_BUILDING)
#define IDGEN_CLIENT_API __attribute__((visibility("default")))
#else
#define IDGEN_CLIENT_API
#endif

#endif  // IDGEN_CLIENT_EXPORT_H_
