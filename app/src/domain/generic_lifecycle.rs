//! The lifecycle of a generic `VerificationAttempt` (the pluggable design's attempt, recorded
//! by vendor plugins). Open edX's `create_verification_attempt` and
//! `update_verification_attempt` validate only the status name, so a plugin may create an
//! attempt in any status and move it between any two different statuses; every change is
//! audited. Pure: the caller reads the attempt, asks [`apply`], and writes the result (or
//! nothing) in one transaction.

use super::{GenericStatus, TransitionError};

/// An operation on a generic attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenericOp {
    /// Record a new attempt in this status (`create_verification_attempt`).
    Create(GenericStatus),
    /// Set the attempt's status (`update_verification_attempt`; setting the status it
    /// already has is allowed and changes nothing).
    SetStatus(GenericStatus),
}

impl GenericOp {
    /// The operation's name, for messages and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create(_) => "create",
            Self::SetStatus(_) => "set_status",
        }
    }
}

/// Whether a plugin may record a new attempt in `status`: in every one (a plugin may record
/// an outcome it already knows, e.g. an approval).
pub fn may_create_in(status: GenericStatus) -> bool {
    GenericStatus::ALL.contains(&status)
}

/// Applies `op` to an attempt in status `current` (`None` for one not created yet).
///
/// `Ok(Some(status))` is the status to write; `Ok(None)` means the operation is allowed but
/// changes no status (setting the status the attempt has); `Err` means it is refused: a
/// creation of an existing attempt, a status change of one that does not exist, or a
/// change the lifecycle has no edge for.
pub fn apply(op: GenericOp, current: Option<GenericStatus>) -> Result<Option<GenericStatus>, TransitionError> {
    let refused =
        || TransitionError { from: current.map_or_else(|| "none".to_owned(), |s| s.to_string()), op: op.name() };
    match (op, current) {
        (GenericOp::Create(to), None) if may_create_in(to) => Ok(Some(to)),
        (GenericOp::SetStatus(to), Some(from)) if from == to => Ok(None),
        (GenericOp::SetStatus(to), Some(from)) if from.can_move_to(to) => Ok(Some(to)),
        _ => Err(refused()),
    }
}

/// Whether a vendor's report of status `to` moves an attempt in status `from` (the hosted
/// vendor's rule): a report only moves it forward, so it changes nothing when the attempt
/// already has that status, is decided (approved or denied: a late or repeated report keeps
/// the decision), or would go back to created. Plugins and staff setting a status through
/// [`GenericOp::SetStatus`] are not bound by it.
pub fn vendor_report_applies(from: GenericStatus, to: GenericStatus) -> bool {
    use GenericStatus::*;
    from != to && !matches!(from, Approved | Denied) && to != Created
}

#[cfg(test)]
mod tests {
    use super::*;
    use GenericStatus::*;

    #[test]
    fn created_in_any_status() {
        for s in GenericStatus::ALL {
            assert!(may_create_in(s));
            assert_eq!(apply(GenericOp::Create(s), None), Ok(Some(s)));
            assert!(apply(GenericOp::Create(s), Some(Created)).is_err(), "an existing attempt is not created again");
            assert!(apply(GenericOp::SetStatus(s), None).is_err(), "no status to change");
        }
    }

    #[test]
    fn every_status_change_from_every_status() {
        // (from, to) → Some(to) when written; None when a no-op. Nothing is refused.
        let table: &[(GenericStatus, GenericStatus, Option<GenericStatus>)] = &[
            (Created, Created, None),
            (Created, Pending, Some(Pending)),
            (Created, Approved, Some(Approved)),
            (Created, Denied, Some(Denied)),
            (Pending, Created, Some(Created)),
            (Pending, Pending, None),
            (Pending, Approved, Some(Approved)),
            (Pending, Denied, Some(Denied)),
            (Approved, Created, Some(Created)),
            (Approved, Pending, Some(Pending)),
            (Approved, Approved, None),
            (Approved, Denied, Some(Denied)),
            (Denied, Created, Some(Created)),
            (Denied, Pending, Some(Pending)),
            (Denied, Approved, Some(Approved)),
            (Denied, Denied, None),
        ];
        assert_eq!(table.len(), GenericStatus::ALL.len() * GenericStatus::ALL.len());
        for from in GenericStatus::ALL {
            for to in GenericStatus::ALL {
                let want = table.iter().find(|(f, t, _)| (*f, *t) == (from, to)).map(|(_, _, w)| *w);
                assert_eq!(apply(GenericOp::SetStatus(to), Some(from)).ok(), want, "{from} -> {to}");
                if let Ok(Some(next)) = apply(GenericOp::SetStatus(to), Some(from)) {
                    assert!(from.can_move_to(next), "{from} -> {next} must be an edge");
                }
            }
        }
    }

    #[test]
    fn vendor_reports_only_move_forward() {
        let applies =
            [(Created, Pending), (Created, Approved), (Created, Denied), (Pending, Approved), (Pending, Denied)];
        for from in GenericStatus::ALL {
            for to in GenericStatus::ALL {
                assert_eq!(vendor_report_applies(from, to), applies.contains(&(from, to)), "{from} -> {to}");
                if vendor_report_applies(from, to) {
                    assert_eq!(apply(GenericOp::SetStatus(to), Some(from)), Ok(Some(to)));
                }
            }
        }
    }
}
