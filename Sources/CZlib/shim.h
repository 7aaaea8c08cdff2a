#include <zlib.h>
// inflateInit2 is a macro; expose it as a function Swift can call.
static inline int vigil_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
