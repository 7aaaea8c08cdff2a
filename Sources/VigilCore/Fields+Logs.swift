/// Field names the log decoders (VigilDecode/Logs) fill, in addition to the network ones in `Fields`.
/// ECS names where ECS has one; `vigil.*` for what ECS does not cover.
extension Fields {
    // event / log
    /// ECS `event.action`: what happened, from each decoder's fixed vocabulary (see its doc comment).
    public static let eventAction = FieldID("event.action")
    /// ECS `event.original`: the raw log line (set on `log.unparsed` records).
    public static let eventOriginal = FieldID("event.original")
    /// ECS `message`: free text of a log entry no structured field captures.
    public static let message = FieldID("message")
    /// ECS `error.message`: why a line was not parsed, or the error a server logged.
    public static let errorMessage = FieldID("error.message")
    /// ECS `error.code`: an error code the source logged (PostgreSQL SQLSTATE).
    public static let errorCode = FieldID("error.code")
    /// ECS `log.level`: the severity word the source wrote (`LOG`, `ERROR`, ...).
    public static let logLevel = FieldID("log.level")
    /// ECS `log.syslog.priority`: the `<PRI>` value of a syslog line, when written.
    public static let logSyslogPriority = FieldID("log.syslog.priority")
    /// Which decoder format a `log.unparsed` record was read with (`nginx`, `syslog`, `auditd`, ...).
    public static let logFormat = FieldID("vigil.log.format")

    // user / host / process
    /// ECS `user.name`: the account the entry is about (login user, database user, acct=).
    public static let userName = FieldID("user.name")
    /// ECS `user.id`: numeric uid as text.
    public static let userID = FieldID("user.id")
    /// ECS `user.effective.name`: the account a command ran as (sudo `USER=`, su target).
    public static let userEffectiveName = FieldID("user.effective.name")
    /// ECS `host.hostname`: the host name in the syslog header.
    public static let hostHostname = FieldID("host.hostname")
    /// ECS `source.address`: a client given by name rather than by IP (`localhost`, a DNS name).
    public static let sourceAddress = FieldID("source.address")
    /// ECS `process.pid`.
    public static let processPID = FieldID("process.pid")
    /// ECS `process.parent.pid`.
    public static let processParentPID = FieldID("process.parent.pid")
    /// ECS `process.name`: program name (syslog tag, auditd `comm`).
    public static let processName = FieldID("process.name")
    /// ECS `process.executable`: absolute path of the program.
    public static let processExecutable = FieldID("process.executable")
    /// ECS `process.command_line`: arguments joined by spaces.
    public static let processCommandLine = FieldID("process.command_line")
    /// ECS `process.working_directory`.
    public static let processWorkingDirectory = FieldID("process.working_directory")

    // web access logs
    /// ECS `url.scheme`.
    public static let urlScheme = FieldID("url.scheme")
    /// ECS `http.request.bytes`: request size including headers (`$request_length`).
    public static let httpRequestBytes = FieldID("http.request.bytes")
    /// ECS `http.response.bytes`: response size including headers (`$bytes_sent`).
    public static let httpResponseBytes = FieldID("http.response.bytes")
    /// ECS `http.request.id` (`$request_id`).
    public static let httpRequestID = FieldID("http.request.id")
    /// Request processing time in seconds (double), nginx `$request_time`.
    public static let webRequestTime = FieldID("vigil.web.request_time")
    /// Total upstream response time in seconds (double): the sum over every upstream nginx tried.
    public static let webUpstreamResponseTime = FieldID("vigil.web.upstream_response_time")
    /// Upstream address(es) as nginx wrote them (`$upstream_addr`).
    public static let webUpstreamAddress = FieldID("vigil.web.upstream_addr")
    /// The `X-Forwarded-For` header as written (`$http_x_forwarded_for`).
    public static let webForwardedFor = FieldID("vigil.web.x_forwarded_for")

    // auth (syslog)
    /// Authentication method: `password`, `publickey`, `keyboard-interactive/pam`, `hostbased`, `none`.
    public static let authMethod = FieldID("vigil.auth.method")
    /// Public key type of an accepted or offered key (`ED25519`, `RSA`, ...).
    public static let authKeyType = FieldID("vigil.auth.key_type")
    /// Public key fingerprint as sshd logs it (`SHA256:...`).
    public static let authKeyFingerprint = FieldID("vigil.auth.key_fingerprint")
    /// The account that opened a PAM session for another (`by alice(uid=1000)`).
    public static let authByUser = FieldID("vigil.auth.by_user")
    /// Terminal of a sudo/su/PAM entry (`pts/0`, `ssh`).
    public static let authTTY = FieldID("vigil.auth.tty")
    /// Working directory sudo logged (`PWD=`).
    public static let sudoPWD = FieldID("vigil.sudo.pwd")

    // audit (auditd)
    /// auditd event serial (int), unique per boot together with the time.
    public static let auditSerial = FieldID("vigil.audit.serial")
    /// Record types joined into the event, in arrival order (list of strings).
    public static let auditTypes = FieldID("vigil.audit.types")
    /// Syscall name (from the enriched log or a built-in table for common syscalls) or its number as text.
    public static let auditSyscall = FieldID("vigil.audit.syscall")
    /// Login uid (who logged in, kept across su/sudo) as text; absent when unset (4294967295).
    public static let auditAUID = FieldID("vigil.audit.auid")
    /// Login user name, from the enriched log's `AUID="..."`.
    public static let auditAUIDName = FieldID("vigil.audit.auid_name")
    /// The audit rule key (`key=`), absent for `(null)`.
    public static let auditKey = FieldID("vigil.audit.key")
    /// PAM / user-space operation (`op=`), e.g. `PAM:authentication`.
    public static let auditOp = FieldID("vigil.audit.op")
    /// Terminal of a user-space record (`terminal=`) or syscall (`tty=`).
    public static let auditTerminal = FieldID("vigil.audit.terminal")
    /// File paths of the PATH records (list of strings).
    public static let auditPaths = FieldID("vigil.audit.paths")

    // database statement logs
    /// Database name the statement ran in.
    public static let dbName = FieldID("vigil.db.name")
    /// Statement text, capped at 64 KiB.
    public static let dbStatement = FieldID("vigil.db.statement")
    /// Statement class: select, insert, update, delete, ddl, copy, export, dcl, tcl or other.
    public static let dbStatementClass = FieldID("vigil.db.statement_class")
    /// Server session: PostgreSQL session id (`%c`), MySQL thread id.
    public static let dbSession = FieldID("vigil.db.session")
    /// Client application name (PostgreSQL `application_name`).
    public static let dbApplication = FieldID("vigil.db.application")

    // API gateway / data-sharing platform logs
    /// Consumer, application or tenant id the gateway authenticated.
    public static let apiConsumer = FieldID("vigil.api.consumer")
    /// API route or path as the gateway names it.
    public static let apiPath = FieldID("vigil.api.path")
    /// Number of records the call returned (int).
    public static let apiRecords = FieldID("vigil.api.records")
}
