import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzLogs.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
