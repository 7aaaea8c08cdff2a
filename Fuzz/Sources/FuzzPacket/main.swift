import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzPacket.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
