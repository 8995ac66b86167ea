// Counts heap allocations made by the current thread (operator new is replaced in the binary
// that defines ADMINARA_COUNT_ALLOCATIONS_IMPL in exactly one translation unit).
#pragma once

#include <cstdint>

namespace adminara::obs::testing {
/// Allocations made by the calling thread so far.
std::uint64_t thread_allocations() noexcept;
}  // namespace adminara::obs::testing

#ifdef ADMINARA_COUNT_ALLOCATIONS_IMPL
// GCC sees malloc/free through the replaced operators once inlined and reports a mismatch that
// is not one; the replacement pairs them consistently. (Left on for the whole translation unit:
// the inlining sites are elsewhere in it.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <cstdlib>
#include <new>

namespace adminara::obs::testing {
namespace {
thread_local std::uint64_t t_allocations = 0;
}
std::uint64_t thread_allocations() noexcept {
  return t_allocations;
}
}  // namespace adminara::obs::testing

void* operator new(std::size_t n) {
  ++adminara::obs::testing::t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  ++adminara::obs::testing::t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
#endif
