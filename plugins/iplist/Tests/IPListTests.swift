import XCTest
@testable import IplistPlugin
