/// Warns when `[status] locked_out = 429` meets nginx: `auth_request` passes only 401 and 403
/// through and turns any other status of the auth service into a 500, so a locked-out client would
/// see an internal error. 429 suits Traefik, Caddy and direct callers (`original_request = "x-forwarded"`).
enum LockedOutStatusLint {
    static func warnings(for configuration: Configuration) -> [String] {
        guard let status = configuration.responsePolicy.overrides[.lockedOut], status != 401, status != 403,
              configuration.server.originalRequest == .xOriginal
        else { return [] }
        return ["status.locked_out = \(status) with server.original_request = \"x-original\" (nginx): nginx auth_request "
                + "turns any status but 401 and 403 into 500; use 401 or 403 behind nginx, \(status) only behind Traefik or Caddy"]
    }
}
