#pragma once
// Whether this translation unit is built with ASan or TSan (g++ defines __SANITIZE_*__, clang has
// __has_feature). Under them a thread start costs about a millisecond and terabytes of address space
// are reserved, so stress tests run fewer rounds and address-space caps are impossible.
namespace i2i::test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool under_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool under_sanitizer = true;
#else
inline constexpr bool under_sanitizer = false;
#endif
#else
inline constexpr bool under_sanitizer = false;
#endif

}  // namespace i2i::test
