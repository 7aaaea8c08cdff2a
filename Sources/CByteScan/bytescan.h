// Sixteen-byte scans for the hot loops of event output (JSON escaping, Inspect's scan for digits),
// with SSE2 where the target has it (every x86-64) and a bytewise loop elsewhere. Header-only:
// Swift inlines these at the call site. Swift's SIMD types compiled these tests four times slower
// than the eight-byte word tests they replace (Benchmarks/README.md, sessions 15 and 18).
#ifndef VIGIL_BYTESCAN_H
#define VIGIL_BYTESCAN_H

#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The index of the first byte in [from, end) that a JSON string escapes (below 0x20, '"', '\\',
// DEL) or, when stop_high, any byte from 0x80 on; end when there is none.
static inline size_t vigil_first_json_escape(const uint8_t *p, size_t from, size_t end, int stop_high) {
    size_t i = from;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i del = _mm_set1_epi8(0x7F), control = _mm_set1_epi8(0x1F);
    while (i + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        // v <= 0x1F, unsigned: max(v, 0x1F) == 0x1F.
        __m128i hit = _mm_cmpeq_epi8(_mm_max_epu8(v, control), control);
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, quote));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, backslash));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, del));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (stop_high) mask |= (unsigned)_mm_movemask_epi8(v);
        if (mask != 0) return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    for (; i < end; i++) {
        uint8_t b = p[i];
        if (b < 0x20 || b == '"' || b == '\\' || b == 0x7F || (stop_high && b >= 0x80)) return i;
    }
    return end;
}

// The index of the first ASCII digit, '@' or '\\' in [from, end), or end.
static inline size_t vigil_first_digit_or_special(const uint8_t *p, size_t from, size_t end) {
    size_t i = from;
#if defined(__SSE2__)
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
    const __m128i at = _mm_set1_epi8('@'), backslash = _mm_set1_epi8('\\');
    while (i + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        // v - '0' <= 9, unsigned: min(v - '0', 9) == v - '0'.
        __m128i d = _mm_sub_epi8(v, zero);
        __m128i hit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, at));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, backslash));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask != 0) return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    for (; i < end; i++) {
        uint8_t b = p[i];
        if ((b >= '0' && b <= '9') || b == '@' || b == '\\') return i;
    }
    return end;
}

#endif
