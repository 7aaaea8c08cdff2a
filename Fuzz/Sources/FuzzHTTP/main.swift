import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzHTTP.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
