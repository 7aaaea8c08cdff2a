import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzSSH.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
