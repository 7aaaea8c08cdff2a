import FuzzSupport

// libFuzzer drives `fuzz` (the LLVMFuzzerTestOneInput entry in FuzzPcapFile.swift).
runLibFuzzer { data, size in fuzz(data!, size) }
