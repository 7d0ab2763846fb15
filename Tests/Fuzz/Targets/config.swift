@testable import Portcullis
import PortcullisNetwork

// The host's TOML configuration, through TOMLKit: Sources/Portcullis/Config/Configuration.swift.
// Errors name the file and a line of it; what parses, parses the same way again.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let input = text(start, count) else { return 0 }
    checkConfiguration(input)
    return 0
}

func checkConfiguration(_ text: String) {
    let lineCount = lines(in: text)
    let configuration: Configuration
    do {
        configuration = try Configuration(parsing: text, file: "fuzz.toml")
    } catch {
        require(error.file == "fuzz.toml" && error.description.hasPrefix("fuzz.toml"), "an error that does not name the file")
        if let line = error.line { require((1...lineCount + 1).contains(line), "error line \(line) of a \(lineCount)-line file") }
        return
    }
    require(Set(configuration.stacks.map(\.name)).count == configuration.stacks.count, "two stacks with one name")
    for stack in configuration.stacks {
        require(!stack.entries.isEmpty, "stack \(stack.name) without entries")
        for entry in stack.entries {
            require(!entry.plugin.isEmpty, "an entry without a plugin")
            if let line = entry.line { require((1...lineCount).contains(line), "entry line \(line) of a \(lineCount)-line file") }
        }
    }
    // A comment added at the end changes nothing.
    guard let again = try? Configuration(parsing: text + "\n# fuzz", file: "fuzz.toml") else {
        return require(false, "a trailing comment made the configuration invalid")
    }
    require(again.stacks.map(\.name) == configuration.stacks.map(\.name), "a trailing comment changed the stacks")
    require(again.resolver.trusted == configuration.resolver.trusted, "a trailing comment changed the trusted proxies")
}
