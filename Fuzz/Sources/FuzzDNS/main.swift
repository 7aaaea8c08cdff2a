import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzDNS.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
