import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzDatagram.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
