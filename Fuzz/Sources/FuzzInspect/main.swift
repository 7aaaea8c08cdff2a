import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzInspect.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
