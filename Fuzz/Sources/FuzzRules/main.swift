import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzRules.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
