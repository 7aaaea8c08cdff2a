import ArgumentParser
import Foundation
import VigilCore
import VigilStore

#if canImport(Glibc)
    import Glibc
#endif

/// `vigil-correlator token create|list|revoke`: API tokens for the query API, managed on the
/// correlator's host by whoever may open its store (the service user or root). Every change is in
/// the audit log, by `local:<user>`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the query API's tokens.",
        discussion: """
            Roles: viewer reads events, incidents, sensors and /metrics; analyst also changes \
            incident status; admin also reads the audit log. A token's secret is shown once, when \
            it is created, and stored only as a SHA-256 hash.

            Examples:
              vigil-correlator token create --name alice --role analyst
              vigil-correlator --config /etc/vigil/correlator.yaml token list
              vigil-correlator token revoke tok_3f2a9c0d1e4b5a69
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    /// `--store`, or the store that the correlator's `--config` names.
    struct Options: ParsableArguments {
        @Option(
            name: .long,
            help: ArgumentHelp("The store file itself, instead of the one --config names.", valueName: "file"))
        var store: String?

        func open(config: String) throws -> SQLiteStore {
            if let store { return try SQLiteStore(path: store) }
            let (settings, diagnostics) = CorrelatorCommand.load(config)
            guard let settings else {
                for d in diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
                throw ExitCode(2)
            }
            return try SQLiteStore(path: settings.store)
        }
    }

    /// Who is acting, for the audit log: the local account.
    static var actor: String {
        #if canImport(Glibc)
            if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return "local:" + String(cString: name) }
            return "local:uid \(geteuid())"
        #else
            return "local:" + NSUserName()
        #endif
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret goes to standard output, once.")

        @ParentCommand var root: CorrelatorCommand
        @OptionGroup var options: Options

        @Option(name: .long, help: "Who or what the token is for (shown in the audit log).")
        var name: String

        @Option(name: .long, help: "viewer, analyst or admin.")
        var role: String = "viewer"

        func validate() throws {
            guard TokenRole(rawValue: role) != nil else {
                throw ValidationError("--role '\(role)' is not one of viewer, analyst, admin")
            }
            guard !name.isEmpty, name.count <= 100, !name.contains(where: \.isNewline) else {
                throw ValidationError("--name must be 1 to 100 characters on one line")
            }
        }

        func run() async throws {
            let store = try options.open(config: root.config)
            let (id, secret) = try store.createToken(
                name: name, role: TokenRole(rawValue: role)!, actor: TokenCommand.actor)
            FileHandle.standardError.write(
                Data("token \(id) (\(name), \(role)) created; its secret, shown this once:\n".utf8))
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @ParentCommand var root: CorrelatorCommand
        @OptionGroup var options: Options

        func run() async throws {
            let tokens = try options.open(config: root.config).tokens()
            print("ID                    ROLE     CREATED               REVOKED               NAME")
            for t in tokens {
                let created = String(Timestamp(microseconds: t.created).description.prefix(19)) + "Z"
                let revoked = t.revoked.map { String(Timestamp(microseconds: $0).description.prefix(19)) + "Z" } ?? "-"
                print(
                    [t.id.padded(21), t.role.rawValue.padded(8), created.padded(21), revoked.padded(21), t.name].joined(
                        separator: " "))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: it stops working at once.")

        @ParentCommand var root: CorrelatorCommand
        @OptionGroup var options: Options

        @Argument(help: "The token's id (tok_…), from `token list`.")
        var id: String

        func run() async throws {
            guard try options.open(config: root.config).revokeToken(id: id, actor: TokenCommand.actor) else {
                FileHandle.standardError.write(Data("vigil-correlator: no active token \(id)\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data("token \(id) revoked\n".utf8))
        }
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
