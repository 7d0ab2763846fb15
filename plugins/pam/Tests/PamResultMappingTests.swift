import XCTest
@testable import PamPlugin
import PortcullisPluginKit
