#ifndef VIGIL_CPCRE2_SHIM_H
#define VIGIL_CPCRE2_SHIM_H
// PCRE2 with 8-bit code units (UTF-8 subjects): the PCRE semantics the Sigma specification names
// for its `re` modifier, with JIT compilation.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
