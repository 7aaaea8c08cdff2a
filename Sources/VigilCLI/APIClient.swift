import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import VigilConfig

/// How `vigil` reaches the correlator's query API: `--server` (or `VIGIL_SERVER`, or `server:` in
/// `~/.config/vigil/config.yaml`), the CA that signed the correlator's certificate (`--ca`,
/// `VIGIL_CA`, `ca:`), and the API token from `VIGIL_TOKEN` or `token_file:` — never a command-line
/// argument, which any local user could read in the process list.
struct APIOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The correlator's query API.", valueName: "https://host:8444"))
    var server: String?

    @Option(help: ArgumentHelp("PEM file of the CA that signed the correlator's certificate.", valueName: "file"))
    var ca: String?

    /// Exit statuses every API command shares.
    enum Exit {
        static let refused: Int32 = 1  // not found, or the workflow refused the change
        static let usage: Int32 = 2  // bad arguments or configuration
        static let unauthorized: Int32 = 3  // no token, a bad one, or a role too low
        static let unreachable: Int32 = 4  // no answer from the server
    }

    /// The settings from flags, environment and the config file, in that order.
    func connection() throws -> APIConnection {
        let env = ProcessInfo.processInfo.environment
        let file =
            (env["VIGIL_CONFIG"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".config/vigil/config.yaml"))
        var fromFile: [String: String] = [:]
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            var diagnostics: [ConfigDiagnostic] = []
            let reader = ConfigReader(file: file)
            if let root = reader.root(text) {
                root.allowOnly(["server", "ca", "token_file"])
                for key in ["server", "ca", "token_file"] { fromFile[key] = root.child(key)?.string() }
            }
            diagnostics += reader.diagnostics
            for d in diagnostics where !d.isWarning { throw ValidationError("\(d)") }
        }
        guard let server = server ?? env["VIGIL_SERVER"] ?? fromFile["server"] else {
            throw ValidationError(
                "no server: pass --server https://host:8444, set VIGIL_SERVER, or put server: in \(file)")
        }
        var token = env["VIGIL_TOKEN"]
        if token == nil, let path = fromFile["token_file"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("\(path): cannot read the token file")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let token, !token.isEmpty else {
            throw ValidationError(
                "no API token: set VIGIL_TOKEN, or token_file: in \(file) (vigil-correlator token create makes one)")
        }
        return APIConnection(
            server: server.hasSuffix("/") ? String(server.dropLast()) : server, token: token,
            ca: ca ?? env["VIGIL_CA"] ?? fromFile["ca"])
    }
}

/// One conversation with the query API: JSON in, JSON out, errors as the server words them.
struct APIConnection {
    let server: String
    let token: String
    let ca: String?

    struct Failure: Error, CustomStringConvertible {
        let status: Int32
        let message: String
        var description: String { message }
    }

    /// GET or (with a body) POST; the decoded JSON object, or a `Failure` carrying the exit status.
    func call(_ path: String, query: [(String, String)] = [], body: [String: Any]? = nil) async throws
        -> [String: Any]
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca { tls.trustRoots = .file(ca) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await exchange(client, path: path, query: query, body: body)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func exchange(_ client: HTTPClient, path: String, query: [(String, String)], body: [String: Any]?)
        async throws -> [String: Any]
    {
        var components = URLComponents(string: server + path)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // '+' is a space to some servers: spell it out.
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.string else { throw Failure(status: APIOptions.Exit.usage, message: "bad URL") }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(60))
            bytes = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw Failure(status: APIOptions.Exit.unreachable, message: "\(server): no answer (\(error))")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let message = object["message"] as? String ?? "HTTP \(status)"
            let exit: Int32 =
                switch status {
                case 401, 403: APIOptions.Exit.unauthorized
                case 400: APIOptions.Exit.usage
                default: APIOptions.Exit.refused
                }
            throw Failure(status: exit, message: message)
        }
        return object
    }

    /// Runs `body`, turning a failure into its message on stderr and its exit status.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("vigil: \(failure.message)\n".utf8))
            throw ExitCode(failure.status)
        }
    }
}

/// Plain tables sized to the terminal: every column as wide as its widest cell, the last one
/// (titles) cut to what is left.
enum Table {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        let columns = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? terminalWidth() ?? 120
        let fixed = widths.dropLast().reduce(0, +) + 2 * (widths.count - 1)
        widths[widths.count - 1] = max(10, min(widths[widths.count - 1], columns - fixed))
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let w = widths[i]
                let cut = cell.count > w ? String(cell.prefix(w - 1)) + "…" : cell
                return i == cells.count - 1 ? cut : cut.padding(toLength: w, withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func terminalWidth() -> Int? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}

/// `--json`: the server's answer as it came, pretty-printed.
func printJSON(_ object: Any) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    print(String(decoding: data, as: UTF8.self))
}
