#ifndef VIGIL_CLIBFUZZER_H
#define VIGIL_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver entry (compiler-rt FuzzerDriver.cpp, exported since LLVM 11): runs the fuzzing
// loop with the given command line and callback. Linked in by `-sanitize=fuzzer`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
