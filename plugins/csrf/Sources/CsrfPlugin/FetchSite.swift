/// The `Sec-Fetch-Site` request header (Fetch Metadata, W3C): how the request's initiator
/// relates to its target, set by the browser and not writable by page scripts.
public enum FetchSite: String, Sendable, CaseIterable {
    case sameOrigin = "same-origin"
    case sameSite = "same-site"
    case crossSite = "cross-site"
    /// Not initiated by a page: typed in the address bar, a bookmark, a link from another app.
    case none

    /// The header's value exactly as browsers send it (lower case). Anything else is not a
    /// value a browser sends, so it is refused rather than guessed at.
    init?(header value: String) {
        self.init(rawValue: value)
    }
}
