import Foundation
import PortcullisTestSupport
import XCTest

/// `portcullis check` on the demo's `api` stack (issue 13, point 6): the normalized path, every
/// rule tried with the condition it failed on, and the rule that decided, in text and in JSON.
/// The explanation is the authz plugin's detail, one JSON object, so it crosses the ABI unchanged.
final class CheckExplanationTests: XCTestCase {
    let portcullis = TestSupport.binDirectory + "/portcullis"
    let demo = TestSupport.repositoryRoot + "/examples/demo/portcullis.toml"
    let bob = "Authorization: " + String.basic("bob", "builder")

    func testTextShowsThePathTheRulesTriedAndWhy() throws {
        let result = try TestSupport.run(portcullis, ["check", "--config", demo, "--stack", "api", "--method", "DELETE",
                                                      "--path", "/api//users/./7;v=1?confirm=yes", "--header", bob])
        XCTAssertEqual(result.status, 1, result.stderr)
        let text = result.stdout
        XCTAssertTrue(text.contains("stack api: DENY insufficient_permissions -> HTTP 403"), text)
        for line in [
            #"path: "/api/users/7""#,
            "rule: none",
            #"nearest_allow: rule="admins change anything" failed="groups""#,
            #"- rule="trial: no deletes from outside this machine" failed="networks_not""#,
            #"- rule="readers read" failed="methods""#,
            #"- rule="tokens with api:read read" failed="methods""#,
        ] {
            XCTAssertTrue(text.contains(line), "missing \(line) in\n\(text)")
        }
        XCTAssertFalse(text.contains("confirm=yes"), "the query is not part of the path")
    }

    func testJSONCarriesTheExplanationAsAnObject() throws {
        let result = try TestSupport.run(portcullis, ["check", "--config", demo, "--stack", "api", "--method", "HEAD",
                                                      "--path", "/%61pi/items", "--header", bob, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let trace = try XCTUnwrap(object["trace"] as? [[String: Any]])
        let authz = try XCTUnwrap(trace.last)
        XCTAssertEqual(authz["plugin"] as? String, "authz")
        let fields = try XCTUnwrap(authz["fields"] as? [String: Any])
        XCTAssertEqual(fields["path"] as? String, "/api/items")
        XCTAssertEqual(fields["rule"] as? String, "readers read")
        XCTAssertEqual(fields["decision"] as? String, "allow")
        let tried = try XCTUnwrap(fields["tried"] as? [[String: Any]])
        XCTAssertEqual(tried.map { $0["rule"] as? String }, ["trial: no deletes from outside this machine", "admins change anything", "readers read"])
        XCTAssertEqual(tried.last?["matched"] as? Bool, true)
        // Plugins whose detail is a sentence have no fields.
        XCTAssertTrue(trace.first?["fields"] is NSNull)
    }
}
