import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PortcullisServer

/// One HTTP answer as it came off the wire, from either way in: the status, every header field in
/// order (names lowercased, as both sides may spell them differently), the body bytes.
struct WireAnswer: Equatable, CustomStringConvertible {
    struct Field: Equatable {
        var name: String
        var value: String
    }

    var status: Int
    var fields: [Field]
    var body: [UInt8]

    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
    var text: String { String(decoding: body, as: UTF8.self) }
    var description: String { "\(status) \(fields.map { "\($0.name): \($0.value)" }) \(text)" }

    /// The answer without what each server adds on the wire: `Date` (both send it; it is when
    /// the answer left) and the hop-by-hop `Connection` (RFC 9110 §7.6.1: Vapor says
    /// `keep-alive` on every answer to a keep-alive request, Hummingbird leaves it implied; it
    /// describes the connection, and no proxy passes it on).
    /// `X-Auth-Decision-Id` is new for every decision: its value compares as a placeholder when it
    /// has the id's form (32 hex digits), and as itself otherwise, so a malformed id still differs.
    var message: WireAnswer {
        var copy = self
        copy.fields.removeAll { $0.name == "date" || $0.name == "connection" }
        for index in copy.fields.indices where copy.fields[index].name == "x-auth-decision-id" {
            let value = copy.fields[index].value
            if value.utf8.count == 32, value.allSatisfy(\.isHexDigit) { copy.fields[index].value = "<decision id>" }
        }
        return copy
    }
}

/// The daemon's answers (its real responder on a real socket, as `portcullis serve` runs it) to
/// `/auth/stack` requests carrying `headers`, sent as nginx sends them (`X-Original-Method`,
/// `X-Original-URI`), in order. In a file of its own: Hummingbird and Vapor both name `Application`.
func daemonAnswers(_ server: ForwardAuthServer, stack: String, uri: String, headers requests: [[(String, String)]]) async throws -> [WireAnswer] {
    try await server.application().test(.live) { client in
        var answers: [WireAnswer] = []
        for headers in requests {
            var fields = HTTPFields()
            for (name, value) in headers + [("X-Original-Method", "GET"), ("X-Original-URI", uri)] {
                guard let name = HTTPField.Name(name) else { continue }
                fields.append(HTTPField(name: name, value: value))
            }
            let answer = try await client.execute(uri: "/auth/\(stack)", method: .get, headers: fields) { response in
                WireAnswer(
                    status: Int(response.status.code),
                    fields: response.headers.map { WireAnswer.Field(name: $0.name.canonicalName, value: $0.value) },
                    body: Array(buffer: response.body))
            }
            answers.append(answer)
        }
        return answers
    }
}
