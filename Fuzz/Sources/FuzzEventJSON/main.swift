import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzEventJSON.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
