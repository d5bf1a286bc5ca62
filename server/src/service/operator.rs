//! The operator at the command line. Whoever runs `vouch` holds the deployment's database
//! credentials, so the management commands act with staff rights; the staff services they
//! share with the staff API take this proof instead of a signed-in staff member's.

use super::staff::Staff;
use app::domain::UserId;

/// The user id logs show for the command line: no account has it (ids start at 1), so an
/// operator's change is never mistaken for a staff member's. Not for audit rows
/// (`staff_action` names an existing account): a service that records one must not take
/// this proof.
pub const OPERATOR: UserId = UserId(0);

/// Staff rights for a management command. Crate-only: a plugin's route or an embedding crate
/// must never mint staff rights without a checked identity.
pub(crate) fn staff() -> Staff {
    Staff::checked(OPERATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_is_no_account() {
        assert_eq!(staff().id(), OPERATOR);
        assert_eq!(OPERATOR.0, 0);
    }
}
