package import PortcullisProtocol

extension Remedy {
    /// What to do about `reason` when the request shows nothing more: one sentence for the
    /// operator, what was seen and what to do. docs/reasons.md has the same table (a test holds
    /// them together). Never sent to a client: it names configuration.
    package static func generic(_ reason: ReasonCode) -> String {
        switch reason {
        case .missingCredentials:
            "No credential reached Portcullis (no Authorization header): the client must log in, and every proxy on the way must pass Authorization on."
        case .malformedCredentials:
            "The Authorization header could not be parsed (the credential line says how): fix the client; Basic needs base64 of user:password, Bearer one token without spaces."
        case .unsupportedScheme:
            "The credential is of a scheme no entry of this stack accepts: send one of the schemes the stack's challenges offer, or add an entry that takes this one."
        case .invalidCredentials:
            "A credential was checked and refused (wrong password, bad signature or unknown user: one reason, so a client cannot tell which): read the deciding entry's detail, then reset the password or check the token's key."
        case .expiredCredentials:
            "The password or token has expired: the user must set a new password or the client get a new token; if tokens expire too soon, compare the issuer's clock with this host's."
        case .revokedCredentials:
            "The token was revoked (portcullis token revoke, or the revocation list): the client needs a new token; remove the revocation if it was a mistake."
        case .accountExpired:
            "The account itself has expired (its shadow expiry date, or PAM said so): extend it (chage -E) if the user should still get in."
        case .lockedOut:
            "Too many failures locked this user or address out: the lock ends by itself; once the cause is fixed (often a stale password in a client), end it early with portcullis lockout reset."
        case .ipNotAllowed:
            "The client address is refused by this stack's address list: add the address or its network to the list if it should get in, or check [proxy] trusted if the address shown is a proxy's."
        case .csrfFailed:
            "The csrf entry refused a cross-site or tokenless request (its detail names the check that failed): the page must send the CSRF token and an Origin the entry allows, or exempt the path."
        case .insufficientPermissions:
            "The user was authenticated, but no rule allows this method and path (the authz detail names the nearest allow): grant it in the rules if the user should have it."
        case .pluginError:
            "A plugin failed or answered outside the ABI, or the stack does not exist (see the note and the detail): check that entry's configuration and the log lines before this one."
        case .backendUnavailable:
            "Something the decision needs did not answer in time (the blocking pool was full, check_timeout passed, or a plugin's backend is down; see the note): fix that backend, or raise [server] blocking_threads or check_timeout."
        }
    }
}
