import PortcullisPluginKit

/// The aging fields of a shadow(5) line, in days since 1970-01-01; nil where the field is empty.
struct ShadowAging: Sendable, Equatable {
    var lastChange: Int?
    var maximumDays: Int?
    var inactiveDays: Int?
    var expiresOn: Int?

    /// Why the account may not log in today, as shadow-utils' `isexpired()` decides; nil when it may.
    /// Asked only after the password verified: a wrong password never learns the account's state.
    func refusal(today: Int) -> ReasonCode? {
        if let expiresOn, expiresOn > 0, today >= expiresOn { return .accountExpired }
        // A last change of 0 means "must change the password at next login".
        if lastChange == 0 { return .expiredCredentials }
        if let lastChange, let maximumDays, lastChange > 0, maximumDays > 0 {
            let passwordExpires = lastChange + maximumDays
            // Past the inactivity period after the password expired, the account is disabled.
            if let inactiveDays, today >= passwordExpires + inactiveDays { return .accountExpired }
            if today >= passwordExpires { return .expiredCredentials }
        }
        return nil
    }
}

extension ShadowAging {
    /// The first day after `today` on which ``refusal(today:)`` could begin to refuse; nil if never.
    func nextRefusalDay(after today: Int) -> Int? {
        var days: [Int] = []
        if let expiresOn, expiresOn > 0 { days.append(expiresOn) }
        if let lastChange, let maximumDays, lastChange > 0, maximumDays > 0 {
            days.append(lastChange + maximumDays)
        }
        return days.filter { $0 > today }.min()
    }
}
