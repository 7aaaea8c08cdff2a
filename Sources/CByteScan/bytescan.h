// Sixteen-byte steps for the hot loops of event output (JSON escaping, Inspect's scan for digits),
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

// Writes bytes [0, n) of `in` into `out` as the inside of a JSON string: '"' and '\\' after a
// backslash, LF, CR and tab as \n, \r and \t, other bytes below 0x20 and DEL as \u00xx, the rest as
// they are. Returns the number of bytes written; with ascii_text, -1 instead as soon as a byte is
// 0x80 or above or a control byte other than tab, LF and CR (text that must be ASCII is not).
// `out` needs room for 6 * n bytes: sixteen bytes are copied at a time, escapes or not, and the
// output position moves on only past the bytes that needed none, so a text with nothing to escape
// is copied in the same pass that checks it, without a separate copy per run between escapes.
static inline ptrdiff_t vigil_json_escape(const uint8_t *in, size_t n, uint8_t *out, int ascii_text) {
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, o = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i del = _mm_set1_epi8(0x7F), control = _mm_set1_epi8(0x1F);
#endif
    for (;;) {
#if defined(__SSE2__)
        // While sixteen bytes remain: o <= 6 * i, so o + 16 <= 6 * n.
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(in + i));
            _mm_storeu_si128((__m128i *)(out + o), v);
            // v <= 0x1F, unsigned: max(v, 0x1F) == 0x1F.
            __m128i hit = _mm_cmpeq_epi8(_mm_max_epu8(v, control), control);
            hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, quote));
            hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, backslash));
            hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, del));
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            if (ascii_text) mask |= (unsigned)_mm_movemask_epi8(v);
            if (mask == 0) {
                i += 16;
                o += 16;
                continue;
            }
            size_t k = (size_t)__builtin_ctz(mask);
            i += k;
            o += k;
            break;
        }
#endif
        // The last fifteen bytes (all of a short text), plain ones copied in a tight loop.
        while (i < n) {
            uint8_t c = in[i];
            if (c < 0x20 || c == '"' || c == '\\' || c == 0x7F || (ascii_text && c >= 0x80)) break;
            out[o++] = c;
            i++;
        }
        if (i >= n) return (ptrdiff_t)o;
        // A byte to escape.
        uint8_t b = in[i++];
        if (ascii_text && (b >= 0x80 || (b < 0x20 && b != '\t' && b != '\n' && b != '\r'))) return -1;
        // Two bytes for a quote, a backslash, LF, CR and tab; six (\u00xx) for the other controls and DEL.
        uint8_t letter = b == '\n' ? 'n' : b == '\r' ? 'r' : b == '\t' ? 't' : (b == '"' || b == '\\') ? b : 0;
        out[o] = '\\';
        if (letter) {
            out[o + 1] = letter;
            o += 2;
        } else {
            out[o + 1] = 'u';
            out[o + 2] = '0';
            out[o + 3] = '0';
            out[o + 4] = (uint8_t)hex[b >> 4];
            out[o + 5] = (uint8_t)hex[b & 0xF];
            o += 6;
        }
    }
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
