import Foundation
import PortcullisNetwork
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// The host side of `count` (ABI 1.2): a plugin in plain C calls it from check(), and the host
/// refuses, logging once, what would pollute or break its metrics. (That accepted counts reach
/// /metrics is PortcullisServerTests.PluginCountTests, through the real daemon.)
final class PluginCountersTests: XCTestCase {
    func testThePluginsPrefixAndPrometheusNamesAreEnforced() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compilePlugin(source: """
            #include <string.h>
            #include "portcullis_plugin.h"
            #define S(x) ((pc_str){x, sizeof(x) - 1})
            static int create(const pc_host *h, const pc_pair *a, size_t n, void **i, char *e, size_t s) {
                (void)a; (void)n; (void)e; (void)s; *i = (void *)h; return 0;
            }
            static void check(void *i, const pc_request *r, pc_result *out) {
                (void)r;
                const pc_host *h = i;
                if (h->count) {
                    pc_pair good[] = {{S("rule"), S("a")}};
                    pc_pair bad[] = {{S("bad label"), S("a")}};
                    h->count(h->context, S("portcullis_counter_hits_total"), good, 1, 1);
                    h->count(h->context, S("portcullis_other_hits_total"), good, 1, 1);
                    h->count(h->context, S("portcullis_counter_hits"), NULL, 0, 1);
                    h->count(h->context, S("portcullis_counter_labels_total"), bad, 1, 1);
                    h->count(h->context, S("portcullis_counter_other_hits_total"), good, 1, 1);
                }
                out->verdict = PC_VERDICT_ALLOW;
                out->principal = S("someone");
            }
            static void release(void *i, pc_result *r) { (void)i; (void)r; }
            static void destroy(void *i) { (void)i; }
            static const pc_plugin_descriptor descriptor = {
                .abi_major = PORTCULLIS_ABI_MAJOR, .abi_minor = PORTCULLIS_ABI_MINOR, .descriptor_size = sizeof(pc_plugin_descriptor),
                .name = "counter", .version = "0", .create = create, .check = check, .release = release, .destroy = destroy,
            };
            const pc_plugin_descriptor *portcullis_plugin_v1(void) { return &descriptor; }
            """, to: directory + "/libportcullis-counter.so")
        let log = CapturedLog()
        let gatekeeper = try Gatekeeper(configuration: Configuration(parsing: """
            plugin_dir = "\(directory)"
            [[stack.default]]
            plugin = "counter"
            control = "required"
            """, file: "test.toml"), logger: log.logger)
        for _ in 0..<3 { XCTAssertTrue(gatekeeper.evaluate(AuthRequest(peer: IPAddress("127.0.0.1"))).isAllowed) }

        let refusals = log.entries.filter { $0.level == .error && $0.message.contains("refused") }.map(\.message)
        XCTAssertEqual(refusals, [
            "plugin counter: count 'portcullis_other_hits_total' refused: counter names must be portcullis_counter_…_total, of a-z, 0-9 and _",
            "plugin counter: count 'portcullis_counter_hits' refused: counter names must be portcullis_counter_…_total, of a-z, 0-9 and _",
            "plugin counter: count 'portcullis_counter_labels_total' refused: label 'bad label' is not a distinct Prometheus label name",
        ], "each refused once, the good ones accepted")
    }
}
