#include <zlib.h>
// inflateInit2 is a macro; expose it as a function Swift can call.
static inline int vigil_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
// deflateInit2 is a macro too (gzip output for the sensor's batches).
static inline int vigil_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
