import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzTLS.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
