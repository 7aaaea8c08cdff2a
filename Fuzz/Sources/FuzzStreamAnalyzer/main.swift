import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzStreamAnalyzer.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
