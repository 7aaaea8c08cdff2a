import VigilCore

extension AuditdDecoder {
    /// The records of one event seen so far. Bounded: at most 32 types, 32 paths, 256 arguments and
    /// 64 KiB of argument text, whatever the input.
    struct Pending: Sendable {
        let serial: Int64
        let time: Timestamp
        let offset: UInt64
        var types: [String] = []
        var arch: String?
        var syscall: Int64?
        var syscallName: String?
        var success: Bool?
        var pid: Int64?
        var ppid: Int64?
        var uid: String?
        var uidName: String?
        var auid: String?
        var auidName: String?
        var comm: String?
        var exe: String?
        var cwd: String?
        var args: [String] = []
        var argBytes = 0
        var proctitle: String?
        /// USER_CMD `cmd=`: the command sudo ran.
        var command: String?
        var acct: String?
        var addr: String?
        var op: String?
        var terminal: String?
        var key: String?
        var paths: [String] = []

        static let maxArgBytes = 65_536

        init(serial: Int64, time: Timestamp, offset: UInt64) {
            self.serial = serial
            self.time = time
            self.offset = offset
        }

        mutating func add(_ p: UnsafeRawBufferPointer, _ h: RecordHeader) {
            let type = LogBytes.string(p, h.type.start, h.type.end)
            if types.count < 32, !types.contains(type) { types.append(type) }
            let end = p.count
            let enriched = LogBytes.find(0x1D, p, h.bodyStart, end)
            let isExecve = type == "EXECVE"
            let isPath = type == "PATH"
            addPairs(p, h.bodyStart, enriched ?? end, execve: isExecve, path: isPath)
            if let enriched {
                AuditdDecoder.forEachPair(p, enriched + 1, end) { k, v, _ in
                    let value = { LogBytes.string(p, v.start, v.end) }
                    switch k.end - k.start {
                    case 3 where LogBytes.matches(p, k.start, k.end, "UID"): if uidName == nil { uidName = value() }
                    case 4 where LogBytes.matches(p, k.start, k.end, "AUID"):
                        if auidName == nil, !LogBytes.matches(p, v.start, v.end, "unset") { auidName = value() }
                    case 7 where LogBytes.matches(p, k.start, k.end, "SYSCALL"):
                        if syscallName == nil { syscallName = value() }
                    default: break
                    }
                }
            }
        }

        private mutating func addPairs(_ p: UnsafeRawBufferPointer, _ a: Int, _ b: Int, execve: Bool, path: Bool) {
            AuditdDecoder.forEachPair(p, a, b) { k, v, q in
                let klen = k.end - k.start
                func named(_ s: StaticString) -> Bool {
                    klen == s.utf8CodeUnitCount && LogBytes.matches(p, k.start, k.end, s)
                }
                if execve {
                    addArgument(p, k, v, q)
                    return
                }
                if path {
                    if named("name"), paths.count < 32, let name = untrusted(p, v, q) { paths.append(name) }
                    return
                }
                if q == UInt8(ascii: "'"), named("msg") {
                    addPairs(p, v.start, v.end, execve: false, path: false)
                } else if named("arch") {
                    if arch == nil { arch = LogBytes.string(p, v.start, v.end) }
                } else if named("syscall") {
                    if syscall == nil { syscall = LogBytes.int(p, v.start, v.end) }
                } else if named("success") || named("res") {
                    if success == nil { success = AuditdDecoder.outcome(p, v) }
                } else if named("pid") {
                    if pid == nil { pid = LogBytes.int(p, v.start, v.end) }
                } else if named("ppid") {
                    if ppid == nil { ppid = LogBytes.int(p, v.start, v.end) }
                } else if named("uid") {
                    if uid == nil { uid = LogBytes.value(p, v.start, v.end) }
                } else if named("auid") {
                    let unset =
                        LogBytes.matches(p, v.start, v.end, "4294967295") || LogBytes.matches(p, v.start, v.end, "-1")
                    if auid == nil, !unset { auid = LogBytes.value(p, v.start, v.end) }
                } else if named("comm") {
                    if comm == nil { comm = untrusted(p, v, q) }
                } else if named("exe") {
                    if exe == nil { exe = untrusted(p, v, q) }
                } else if named("cwd") {
                    if cwd == nil { cwd = untrusted(p, v, q) }
                } else if named("proctitle") {
                    if proctitle == nil { proctitle = untrusted(p, v, q, nulAsSpace: true) }
                } else if named("cmd") {
                    if command == nil { command = untrusted(p, v, q) }
                } else if named("acct") {
                    if acct == nil { acct = untrusted(p, v, q) }
                } else if named("addr") {
                    if addr == nil { addr = untrusted(p, v, q) }
                } else if named("op") {
                    if op == nil { op = LogBytes.value(p, v.start, v.end) }
                } else if named("terminal") || named("tty") {
                    if terminal == nil, !LogBytes.matches(p, v.start, v.end, "(none)") { terminal = untrusted(p, v, q) }
                } else if named("key") {
                    if key == nil { key = untrusted(p, v, q) }
                }
            }
        }

        /// EXECVE `aN=...` and `aN[i]=...` (an argument over the kernel's line limit, in pieces).
        private mutating func addArgument(_ p: UnsafeRawBufferPointer, _ k: ByteRange, _ v: ByteRange, _ q: UInt8) {
            guard k.end - k.start >= 2, p[k.start] == UInt8(ascii: "a") else { return }
            var digitsEnd = k.start + 1
            while digitsEnd < k.end, LogBytes.isDigit(p[digitsEnd]) { digitsEnd += 1 }
            guard let index = LogBytes.int(p, k.start + 1, digitsEnd), index < 256,
                digitsEnd == k.end || p[digitsEnd] == UInt8(ascii: "[")
            else { return }
            guard argBytes + (v.end - v.start) <= Self.maxArgBytes else { return }
            let text = q != 0 ? LogBytes.string(p, v.start, v.end) : (untrusted(p, v, q) ?? "")
            argBytes += v.end - v.start
            while args.count <= Int(index) { args.append("") }
            args[Int(index)] += text
        }

        static let categoryProcess = FieldValue.list([.string("process")])
        static let categoryAuthentication = FieldValue.list([.string("authentication")])
        static let categorySession = FieldValue.list([.string("session")])
        static let typeStart = FieldValue.list([.string("start")])
        static let typeEnd = FieldValue.list([.string("end")])
        static let typeInfo = FieldValue.list([.string("info")])
        static let auxiliary: Set<String> = [
            "SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE", "EOE", "SOCKADDR", "BPRM_FCAPS",
        ]

        func record() -> LogRecord {
            var r = LogRecord(timestamp: time, dataset: .audit, offset: offset)
            r.fields.reserveCapacity(24)
            let name = syscallName ?? syscall.flatMap { AuditdDecoder.syscallName(arch: arch, number: $0) }
            let executed = name == "execve" || name == "execveat"
            let main = types.first { !Self.auxiliary.contains($0) }
            let action = executed ? "executed" : (main?.lowercased() ?? (syscall != nil ? "syscall" : "other"))
            r.set(Fields.eventAction, action)
            r.set(Fields.eventOutcome, success.map { $0 ? "success" : "failure" })
            switch action {
            case "executed", "user_cmd":
                r.set(Fields.eventCategory, Self.categoryProcess)
                r.set(Fields.eventType, Self.typeStart)
            case "user_auth", "user_login", "user_acct", "user_err":
                r.set(Fields.eventCategory, Self.categoryAuthentication)
                r.set(Fields.eventType, Self.typeInfo)
            case "user_start", "user_logout", "user_end":
                r.set(Fields.eventCategory, Self.categorySession)
                r.set(Fields.eventType, action == "user_start" ? Self.typeStart : Self.typeEnd)
            default: break
            }
            r.set(Fields.auditSerial, .int(serial))
            r.set(Fields.auditTypes, .list(types.map(FieldValue.string)))
            r.set(Fields.auditSyscall, name ?? syscall.map { String($0) })
            r.set(Fields.processPID, pid.map(FieldValue.int))
            r.set(Fields.processParentPID, ppid.map(FieldValue.int))
            r.set(Fields.processName, comm)
            r.set(Fields.processExecutable, exe)
            r.set(Fields.processCommandLine, args.isEmpty ? (command ?? proctitle) : args.joined(separator: " "))
            r.set(Fields.processWorkingDirectory, cwd)
            r.set(Fields.userID, uid)
            r.set(Fields.userName, acct ?? uidName)
            r.set(Fields.auditAUID, auid)
            r.set(Fields.auditAUIDName, auidName)
            if let addr {
                if let ip = IPAddress(addr) {
                    r.set(Fields.sourceIP, .ip(ip))
                } else {
                    r.set(Fields.sourceAddress, addr)
                }
            }
            r.set(Fields.auditOp, op)
            r.set(Fields.auditTerminal, terminal)
            r.set(Fields.auditKey, key)
            if !paths.isEmpty { r.set(Fields.auditPaths, .list(paths.map(FieldValue.string))) }
            return r
        }
    }
}
