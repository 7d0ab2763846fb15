import Hummingbird
import Portcullis
import PortcullisHummingbird

// usage: EmbeddedApp [CONFIG] [PORT] [PLUGIN-DIRECTORY]
//
// CONFIG defaults to the installed package's /etc/portcullis/portcullis.toml. Without
// PLUGIN-DIRECTORY the plugins are found as by `portcullis` itself: beside this executable while
// it runs from .build/ (`swift build --product portcullis-crypt` puts them there), then the
// installed package's /usr/lib/portcullis/plugins. `plugin_dir` in CONFIG, or
// PORTCULLIS_PLUGIN_DIR, overrides both.
let arguments = CommandLine.arguments.dropFirst()
let config = arguments.first ?? "/etc/portcullis/portcullis.toml"
let port = arguments.dropFirst().first.flatMap { Int($0) } ?? 8080
let pluginDirectory = arguments.dropFirst(2).first

let gatekeeper = try Gatekeeper(contentsOf: config, pluginDirectory: pluginDirectory)
// The decision runtime every way in uses: the gatekeeper, its blocking pool, the decision log.
let runtime = DecisionRuntime(gatekeeper: gatekeeper)
let router = Router(context: PortcullisRequestContext.self)
router.group("api")
    .add(middleware: PortcullisMiddleware(runtime: runtime, stack: "default"))
    .get("me") { _, context in context.portcullis?.principal ?? "" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), services: [runtime])
try await app.runService()
